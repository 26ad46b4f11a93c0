import type { Db } from '../db'

export type ImportState = 'queued' | 'running' | 'done' | 'failed'

export interface ImportCounts {
  patients: number
  studies: number
  series: number
  /** Series whose instances were all imported before. */
  unchanged: number
  /** Series kept as DICOM only because dcm2niix made no NIfTI of them. */
  unconverted: number
  files: number
  instances: number
  skipped: number
  errors: number
}

export interface ImportRecord {
  id: number
  projectId: number
  userId: number | null
  source: string
  state: ImportState
  phase: string
  done: number
  total: number
  counts: ImportCounts
  message: string
  createdAt: number
  updatedAt: number
}

export interface ImportProblem {
  file: string
  kind: 'skipped' | 'error'
  message: string
}

type Row = {
  id: number
  project_id: number
  user_id: number | null
  source: string
  state: ImportState
  phase: string
  done_units: number
  total_units: number
  counts: string | null
  message: string | null
  created_at: number
  updated_at: number
}

export const emptyCounts = (): ImportCounts => ({ patients: 0, studies: 0, series: 0, unchanged: 0, unconverted: 0, files: 0, instances: 0, skipped: 0, errors: 0 })

const toRecord = (r: Row): ImportRecord => ({
  id: Number(r.id),
  projectId: Number(r.project_id),
  userId: r.user_id === null ? null : Number(r.user_id),
  source: r.source,
  state: r.state,
  phase: r.phase,
  done: Number(r.done_units),
  total: Number(r.total_units),
  counts: r.counts ? JSON.parse(r.counts) : emptyCounts(),
  message: r.message ?? '',
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
})

/** Imports: state, progress and per-file problems, readable while the import runs (by another process too). */
export class ImportsRepo {
  constructor(private readonly db: Db) {}

  async create(projectId: number, userId: number | null, source: string): Promise<number> {
    const now = Date.now()
    return (
      await this.db.run('INSERT INTO imports (project_id, user_id, source, state, counts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        projectId,
        userId,
        source,
        'queued',
        JSON.stringify(emptyCounts()),
        now,
        now,
      ])
    ).lastId
  }

  async update(id: number, f: { state?: ImportState; phase?: string; done?: number; total?: number; counts?: ImportCounts; message?: string; runner?: string }): Promise<void> {
    const sets: string[] = ['updated_at = ?']
    const params: (string | number)[] = [Date.now()]
    const add = (col: string, v: string | number | undefined) => {
      if (v === undefined) return
      sets.push(`${col} = ?`)
      params.push(v)
    }
    add('state', f.state)
    add('phase', f.phase)
    add('done_units', f.done)
    add('total_units', f.total)
    add('counts', f.counts && JSON.stringify(f.counts))
    add('message', f.message)
    add('runner', f.runner)
    await this.db.run(`UPDATE imports SET ${sets.join(', ')} WHERE id = ?`, [...params, id])
  }

  async addProblem(importId: number, p: ImportProblem): Promise<void> {
    await this.db.run('INSERT INTO import_problems (import_id, file, kind, message) VALUES (?, ?, ?, ?)', [importId, p.file.slice(0, 1024), p.kind, p.message])
  }

  async get(id: number): Promise<ImportRecord | undefined> {
    const r = await this.db.get<Row>('SELECT * FROM imports WHERE id = ?', [id])
    return r && toRecord(r)
  }

  /** Imports still marked queued or running, with the process that runs them (`host:pid`). */
  async unfinished(): Promise<{ id: number; runner: string }[]> {
    const rows = await this.db.all<{ id: number; runner: string }>("SELECT id, runner FROM imports WHERE state IN ('queued', 'running')")
    return rows.map((r) => ({ id: Number(r.id), runner: r.runner }))
  }

  async problems(id: number, limit = 1000): Promise<ImportProblem[]> {
    return this.db.all<ImportProblem>(`SELECT file, kind, message FROM import_problems WHERE import_id = ? ORDER BY id LIMIT ${Math.trunc(limit)}`, [id])
  }
}
