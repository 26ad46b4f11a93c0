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
const STUDY_PAGE = 200

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

  async deletePath(studyId: number, path: string): Promise<void> {
    await this.db.run('DELETE FROM files WHERE study_id = ? AND path = ?', [studyId, path])
  }

  async delete(id: number): Promise<void> {
    await this.db.run('DELETE FROM files WHERE id = ?', [id])
  }

  /**
   * Matching files page by page, walking the project's studies in id order (a few hundred studies at a time)
   * and matching each study's files through the (study_id, path) index: the work grows with the number of
   * files, not with its square, and memory stays flat for a million files.
   */
  async *select(q: FileQuery): AsyncGenerator<FileRow[]> {
    const where: string[] = ['s.project_id = ?']
    const params: Param[] = [q.projectId]
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
      const studies = await this.db.all<{ id: number; patients_id: string; studies_id: string }>(
        `SELECT s.id AS id, p.patients_id AS patients_id, s.studies_id AS studies_id
         FROM studies s JOIN subjects p ON p.id = s.subject_id
         WHERE ${where.join(' AND ')} AND s.id > ? ORDER BY s.id LIMIT ${STUDY_PAGE}`,
        [...params, after],
      )
      if (studies.length === 0) return
      after = Number(studies[studies.length - 1]!.id)
      const byId = new Map(studies.map((st) => [Number(st.id), st]))
      const ids = [...byId.keys()]
      const files = await this.db.all<{ id: number; study_id: number; path: string; size: number }>(
        `SELECT id, study_id, path, size FROM files
         WHERE study_id IN (${ids.map(() => '?').join(',')}) AND LOWER(path) LIKE LOWER(?) ESCAPE '${LIKE_ESCAPE}' ORDER BY study_id, id`,
        [...ids, q.pathLike],
      )
      for (let i = 0; i < files.length; i += PAGE) {
        const page = files.slice(i, i + PAGE)
        const tags = await this.tagsOf(page.map((f) => Number(f.id)))
        yield page.map((f) => {
          const st = byId.get(Number(f.study_id))!
          return { id: Number(f.id), path: f.path, size: Number(f.size), patients_id: st.patients_id, studies_id: st.studies_id, tags: tags.get(Number(f.id)) ?? [] }
        })
      }
      if (studies.length < STUDY_PAGE) return
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
