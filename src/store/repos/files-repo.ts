import { LIKE_ESCAPE, type Db, type Param } from '../db'

export interface FileRow {
  id: number
  path: string
  size: number
  patients_id: string
  studies_id: string
  tags: string[]
}

export interface FileQuery {
  projectId: number
  /** A LIKE operand on the path inside the study (escape character `!`). */
  pathLike: string
  patientsId?: string
  studiesId?: string
}

const PAGE = 5000

export class FilesRepo {
  constructor(private readonly db: Db) {}

  /** Registers a file, or updates its size and type when the path is known. Returns its id. */
  async upsert(projectId: number, studyId: number, path: string, size: number, type: string, meta: unknown = null): Promise<number> {
    const metaJson = meta === null ? null : JSON.stringify(meta)
    const existing = await this.db.get<{ id: number }>('SELECT id FROM files WHERE study_id = ? AND path = ?', [studyId, path])
    if (existing) {
      await this.db.run('UPDATE files SET size = ?, type = ?, meta = ? WHERE id = ?', [size, type, metaJson, existing.id])
      return Number(existing.id)
    }
    const r = await this.db.run('INSERT INTO files (project_id, study_id, path, size, type, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      projectId,
      studyId,
      path,
      size,
      type,
      metaJson,
      Date.now(),
    ])
    return r.lastId
  }

  async idOf(studyId: number, path: string): Promise<number | undefined> {
    const r = await this.db.get<{ id: number }>('SELECT id FROM files WHERE study_id = ? AND path = ?', [studyId, path])
    return r ? Number(r.id) : undefined
  }

  async delete(id: number): Promise<void> {
    await this.db.run('DELETE FROM files WHERE id = ?', [id])
  }

  /** Matching files in pages of 5000 (keyset on id), each page with its tags: memory stays flat for a million files. */
  async *select(q: FileQuery): AsyncGenerator<FileRow[]> {
    const where: string[] = ['f.project_id = ?', `f.path LIKE ? ESCAPE '${LIKE_ESCAPE}'`]
    const params: Param[] = [q.projectId, q.pathLike]
    if (q.patientsId !== undefined) {
      where.push('p.patients_id = ?')
      params.push(q.patientsId)
    }
    if (q.studiesId !== undefined) {
      where.push('s.studies_id = ?')
      params.push(q.studiesId)
    }
    let after = 0
    for (;;) {
      const rows = await this.db.all<Omit<FileRow, 'tags'>>(
        `SELECT f.id AS id, f.path AS path, f.size AS size, p.patients_id AS patients_id, s.studies_id AS studies_id
         FROM files f JOIN studies s ON s.id = f.study_id JOIN subjects p ON p.id = s.subject_id
         WHERE ${where.join(' AND ')} AND f.id > ? ORDER BY f.id LIMIT ${PAGE}`,
        [...params, after],
      )
      if (rows.length === 0) return
      const tags = await this.tagsOf(rows.map((r) => Number(r.id)))
      yield rows.map((r) => ({ ...r, id: Number(r.id), size: Number(r.size), tags: tags.get(Number(r.id)) ?? [] }))
      if (rows.length < PAGE) return
      after = Number(rows[rows.length - 1]!.id)
    }
  }

  private async tagsOf(ids: number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>()
    if (ids.length === 0) return out
    const rows = await this.db.all<{ file_id: number; tag: string }>(
      `SELECT file_id, tag FROM file_tags WHERE file_id IN (${ids.map(() => '?').join(',')}) ORDER BY tag`,
      ids,
    )
    for (const r of rows) {
      const id = Number(r.file_id)
      out.set(id, [...(out.get(id) ?? []), r.tag])
    }
    return out
  }
}
