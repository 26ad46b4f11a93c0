import type { Db } from '../db'

export type ReadingMode = 'training' | 'serious'

export interface ReadingRow {
  id: number
  projectId: number
  name: string
  /** The config as the admin wrote it (JSON text; checked by the reading service before it is written). */
  config: string
  blindKey: string
  createdBy: number | null
  createdAt: number
  updatedAt: number
}

export interface ReadingSessionRow {
  id: number
  readingId: number
  userId: number
  /** The reader, or 0 for a joint reading's shared session. */
  ownerId: number
  mode: ReadingMode
  seed: number
  /** The session's slots in order (JSON text). */
  caseOrder: string
  createdAt: number
}

export interface ReadingResultRow {
  id: number
  readingId: number
  sessionId: number
  ownerId: number
  userId: number
  username: string
  mode: ReadingMode
  caseKey: string
  patientsId: string
  studiesId: string
  studyPath: string
  repetition: number
  stage: number
  /** JSON text. */
  values: string
  annotations: string
  startedAt: number
  submittedAt: number
  secondsSpent: number
}

export type NewReadingResult = Omit<ReadingResultRow, 'id'>

const num = (v: unknown) => Number(v)
const READING_COLUMNS = 'id, project_id, name, config, blind_key, created_by, created_at, updated_at'
const RESULT_COLUMNS =
  'id, reading_id, session_id, owner_id, user_id, username, mode, case_key, patients_id, studies_id, study_path, repetition, stage, form_values, annotations, started_at, submitted_at, seconds_spent'

function readingOf(r: Record<string, unknown>): ReadingRow {
  return {
    id: num(r.id),
    projectId: num(r.project_id),
    name: String(r.name),
    config: String(r.config),
    blindKey: String(r.blind_key),
    createdBy: r.created_by === null || r.created_by === undefined ? null : num(r.created_by),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  }
}

function sessionOf(r: Record<string, unknown>): ReadingSessionRow {
  return {
    id: num(r.id),
    readingId: num(r.reading_id),
    userId: num(r.user_id),
    ownerId: num(r.owner_id),
    mode: String(r.mode) as ReadingMode,
    seed: num(r.seed),
    caseOrder: String(r.case_order),
    createdAt: num(r.created_at),
  }
}

function resultOf(r: Record<string, unknown>): ReadingResultRow {
  return {
    id: num(r.id),
    readingId: num(r.reading_id),
    sessionId: num(r.session_id),
    ownerId: num(r.owner_id),
    userId: num(r.user_id),
    username: String(r.username),
    mode: String(r.mode) as ReadingMode,
    caseKey: String(r.case_key),
    patientsId: String(r.patients_id),
    studiesId: String(r.studies_id),
    studyPath: String(r.study_path),
    repetition: num(r.repetition),
    stage: num(r.stage),
    values: String(r.form_values),
    annotations: String(r.annotations),
    startedAt: num(r.started_at),
    submittedAt: num(r.submitted_at),
    secondsSpent: num(r.seconds_spent),
  }
}

/** Readings of a project, their sessions and their results. */
export class ReadingsRepo {
  constructor(private readonly db: Db) {}

  async list(projectId: number): Promise<ReadingRow[]> {
    return (await this.db.all(`SELECT ${READING_COLUMNS} FROM readings WHERE project_id = ? ORDER BY id`, [projectId])).map(readingOf)
  }

  async get(projectId: number, id: number): Promise<ReadingRow | undefined> {
    const r = await this.db.get(`SELECT ${READING_COLUMNS} FROM readings WHERE project_id = ? AND id = ?`, [projectId, id])
    return r && readingOf(r)
  }

  async create(r: { projectId: number; name: string; config: string; blindKey: string; createdBy: number | null }): Promise<number> {
    const now = Date.now()
    const res = await this.db.run('INSERT INTO readings (project_id, name, config, blind_key, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      r.projectId,
      r.name,
      r.config,
      r.blindKey,
      r.createdBy,
      now,
      now,
    ])
    return res.lastId
  }

  async update(projectId: number, id: number, name: string, config: string): Promise<boolean> {
    return (await this.db.run('UPDATE readings SET name = ?, config = ?, updated_at = ? WHERE project_id = ? AND id = ?', [name, config, Date.now(), projectId, id])).changes > 0
  }

  /** Deletes the reading with its sessions and results. */
  async delete(projectId: number, id: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const found = await tx.get('SELECT id FROM readings WHERE project_id = ? AND id = ?', [projectId, id])
      if (!found) return false
      await tx.run('DELETE FROM reading_results WHERE reading_id = ?', [id])
      await tx.run('DELETE FROM reading_sessions WHERE reading_id = ?', [id])
      await tx.run('DELETE FROM readings WHERE id = ?', [id])
      return true
    })
  }

  async createSession(s: Omit<ReadingSessionRow, 'id' | 'createdAt'>): Promise<ReadingSessionRow> {
    const createdAt = Date.now()
    const res = await this.db.run('INSERT INTO reading_sessions (reading_id, user_id, owner_id, mode, seed, case_order, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      s.readingId,
      s.userId,
      s.ownerId,
      s.mode,
      s.seed,
      s.caseOrder,
      createdAt,
    ])
    return { ...s, id: res.lastId, createdAt }
  }

  async session(readingId: number, id: number): Promise<ReadingSessionRow | undefined> {
    const r = await this.db.get('SELECT id, reading_id, user_id, owner_id, mode, seed, case_order, created_at FROM reading_sessions WHERE reading_id = ? AND id = ?', [readingId, id])
    return r && sessionOf(r)
  }

  /** The newest session of an owner in a mode. */
  async latestSession(readingId: number, ownerId: number, mode: ReadingMode): Promise<ReadingSessionRow | undefined> {
    const r = await this.db.get(
      'SELECT id, reading_id, user_id, owner_id, mode, seed, case_order, created_at FROM reading_sessions WHERE reading_id = ? AND owner_id = ? AND mode = ? ORDER BY id DESC LIMIT 1',
      [readingId, ownerId, mode],
    )
    return r && sessionOf(r)
  }

  /** Writes a result; one per owner × mode × case × repetition × stage, a second submit replaces the first. */
  async saveResult(r: NewReadingResult): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM reading_results WHERE reading_id = ? AND owner_id = ? AND mode = ? AND case_key = ? AND repetition = ? AND stage = ?', [
        r.readingId,
        r.ownerId,
        r.mode,
        r.caseKey,
        r.repetition,
        r.stage,
      ])
      const res = await tx.run(
        `INSERT INTO reading_results (reading_id, session_id, owner_id, user_id, username, mode, case_key, patients_id, studies_id, study_path, repetition, stage, form_values, annotations, started_at, submitted_at, seconds_spent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          r.readingId,
          r.sessionId,
          r.ownerId,
          r.userId,
          r.username,
          r.mode,
          r.caseKey,
          r.patientsId,
          r.studiesId,
          r.studyPath,
          r.repetition,
          r.stage,
          r.values,
          r.annotations,
          r.startedAt,
          r.submittedAt,
          r.secondsSpent,
        ],
      )
      return res.lastId
    })
  }

  /** Results of a reading, in submit order; of one owner (and mode) when given. */
  async results(readingId: number, filter: { ownerId?: number; mode?: ReadingMode } = {}): Promise<ReadingResultRow[]> {
    const where = ['reading_id = ?']
    const params: (string | number)[] = [readingId]
    if (filter.ownerId !== undefined) {
      where.push('owner_id = ?')
      params.push(filter.ownerId)
    }
    if (filter.mode !== undefined) {
      where.push('mode = ?')
      params.push(filter.mode)
    }
    return (await this.db.all(`SELECT ${RESULT_COLUMNS} FROM reading_results WHERE ${where.join(' AND ')} ORDER BY submitted_at, id`, params)).map(resultOf)
  }

  /** The ids of every reading (the sweep of ROI folders whose reading is gone). */
  async ids(): Promise<number[]> {
    return (await this.db.all('SELECT id FROM readings ORDER BY id', [])).map((r) => num(r.id))
  }

  /**
   * Sessions idle since before `before` (created then, and no result submitted in them since) that are done with:
   * superseded (a newer session of the same reading, owner and mode exists: the reader started again) or abandoned
   * (no result was ever submitted in them). The newest session with results stays: it names the reader's cases.
   */
  async idleSessions(before: number): Promise<number[]> {
    const rows = await this.db.all(
      `SELECT s.id FROM reading_sessions s
         JOIN (SELECT reading_id, owner_id, mode, MAX(id) AS newest FROM reading_sessions GROUP BY reading_id, owner_id, mode) n
           ON n.reading_id = s.reading_id AND n.owner_id = s.owner_id AND n.mode = s.mode
         LEFT JOIN (SELECT session_id, MAX(submitted_at) AS last FROM reading_results GROUP BY session_id) r ON r.session_id = s.id
        WHERE s.created_at < ? AND (r.last IS NULL OR r.last < ?) AND (s.id < n.newest OR r.last IS NULL)
        ORDER BY s.id`,
      [before, before],
    )
    return rows.map((r) => num(r.id))
  }

  /** Deletes sessions by id (their results stay: a result is the reader's, not the session's). */
  async deleteSessions(ids: readonly number[]): Promise<number> {
    let n = 0
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500)
      n += (await this.db.run(`DELETE FROM reading_sessions WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk)).changes
    }
    return n
  }

  /**
   * Deletes the results a user submitted in one mode, and (outside joint mode, owner 0, whose session the readers
   * share) the owner's sessions of that mode; returns how many results went.
   */
  async deleteOwn(readingId: number, userId: number, ownerId: number, mode: ReadingMode): Promise<number> {
    return this.db.transaction(async (tx) => {
      const n = (await tx.run('DELETE FROM reading_results WHERE reading_id = ? AND user_id = ? AND owner_id = ? AND mode = ?', [readingId, userId, ownerId, mode])).changes
      if (ownerId !== 0) await tx.run('DELETE FROM reading_sessions WHERE reading_id = ? AND owner_id = ? AND mode = ?', [readingId, ownerId, mode])
      return n
    })
  }
}
