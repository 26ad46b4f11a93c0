import { insertIgnore, type Db } from '../db'

export type TagTarget = 'subject' | 'study' | 'file'
const TABLE: Record<TagTarget, [table: string, column: string]> = {
  subject: ['subject_tags', 'subject_id'],
  study: ['study_tags', 'study_id'],
  file: ['file_tags', 'file_id'],
}

/** Tags on subjects, studies and files. */
export class TagsRepo {
  constructor(private readonly db: Db) {}

  async add(target: TagTarget, ids: number[], tags: string[]): Promise<number> {
    const [table, column] = TABLE[target]
    let n = 0
    await this.db.transaction(async (tx) => {
      for (const id of ids)
        for (const tag of tags) n += (await tx.run(`${insertIgnore(tx)} INTO ${table} (${column}, tag) VALUES (?, ?)`, [id, tag])).changes
    })
    return n
  }

  async remove(target: TagTarget, ids: number[], tags: string[]): Promise<number> {
    const [table, column] = TABLE[target]
    let n = 0
    await this.db.transaction(async (tx) => {
      for (const id of ids) for (const tag of tags) n += (await tx.run(`DELETE FROM ${table} WHERE ${column} = ? AND tag = ?`, [id, tag])).changes
    })
    return n
  }

  async of(target: TagTarget, id: number): Promise<string[]> {
    const [table, column] = TABLE[target]
    return (await this.db.all<{ tag: string }>(`SELECT tag FROM ${table} WHERE ${column} = ? ORDER BY tag`, [id])).map((r) => r.tag)
  }
}
