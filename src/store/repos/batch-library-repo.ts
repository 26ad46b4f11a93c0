import type { Db } from '../db'

export interface SavedBatch {
  id: number
  projectId: number
  name: string
  /** The batch JSON as saved (what `--launchfile` reads). */
  spec: string
  autoexec: boolean
  userId: number | null
  createdAt: number
  updatedAt: number
}

const toSaved = (r: Record<string, unknown>): SavedBatch => ({
  id: Number(r.id),
  projectId: Number(r.project_id),
  name: String(r.name),
  spec: String(r.spec),
  autoexec: Number(r.autoexec) === 1,
  userId: r.user_id === null || r.user_id === undefined ? null : Number(r.user_id),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
})

/** Saved batches per project (the batch list) and the project's autoexecution queue mark. */
export class BatchLibraryRepo {
  constructor(private readonly db: Db) {}

  async list(projectId: number): Promise<SavedBatch[]> {
    return (await this.db.all<Record<string, unknown>>('SELECT * FROM batch_library WHERE project_id = ? ORDER BY name', [projectId])).map(toSaved)
  }

  async get(projectId: number, name: string): Promise<SavedBatch | undefined> {
    const r = await this.db.get<Record<string, unknown>>('SELECT * FROM batch_library WHERE project_id = ? AND name = ?', [projectId, name])
    return r ? toSaved(r) : undefined
  }

  /** Inserts or replaces the batch of that name; keeps its autoexec mark. */
  async save(projectId: number, name: string, spec: string, userId: number | null): Promise<SavedBatch> {
    const now = Date.now()
    await this.db.transaction(async (tx) => {
      const changed = await tx.run('UPDATE batch_library SET spec = ?, user_id = ?, updated_at = ? WHERE project_id = ? AND name = ?', [spec, userId, now, projectId, name])
      if (changed.changes === 0)
        await tx.run('INSERT INTO batch_library (project_id, name, spec, autoexec, user_id, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?)', [projectId, name, spec, userId, now, now])
    })
    return (await this.get(projectId, name))!
  }

  async delete(projectId: number, name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM batch_library WHERE project_id = ? AND name = ?', [projectId, name])).changes > 0
  }

  /** Marks `name` as the project's autoexecution queue (unmarking any other); null unmarks all. */
  async setAutoexec(projectId: number, name: string | null): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE batch_library SET autoexec = 0 WHERE project_id = ? AND autoexec = 1', [projectId])
      if (name !== null) await tx.run('UPDATE batch_library SET autoexec = 1 WHERE project_id = ? AND name = ?', [projectId, name])
    })
  }

  async autoexec(projectId: number): Promise<SavedBatch | undefined> {
    const r = await this.db.get<Record<string, unknown>>('SELECT * FROM batch_library WHERE project_id = ? AND autoexec = 1 ORDER BY id LIMIT 1', [projectId])
    return r ? toSaved(r) : undefined
  }
}
