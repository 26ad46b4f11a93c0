import type { Db } from '../db'

export type PullStudyStateRow = 'pending' | 'moving' | 'received' | 'imported' | 'failed'
export type PullStateRow = 'running' | 'done' | 'failed' | 'cancelled'

export interface PullRow {
  id: number
  projectId: number
  project: string
  node: string
  user: string
  state: PullStateRow
  createdAt: number
  updatedAt: number
}

export interface PullStudyRow {
  id: number
  pullId: number
  studyInstanceUid: string
  patientId: string
  description: string
  expected: number | null
  received: number
  state: PullStudyStateRow
  reason: string
  attempts: number
  nextAttemptAt: number
  updatedAt: number
}

type PRow = { id: number; project_id: number; project: string; node: string; user_name: string; state: PullStateRow; created_at: number; updated_at: number }
type SRow = {
  id: number
  pull_id: number
  study_uid: string
  patient_id: string
  description: string
  expected: number | null
  received: number
  state: PullStudyStateRow
  reason: string | null
  attempts: number
  next_attempt_at: number
  updated_at: number
}

const toPull = (r: PRow): PullRow => ({
  id: Number(r.id),
  projectId: Number(r.project_id),
  project: r.project,
  node: r.node,
  user: r.user_name,
  state: r.state,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
})

const toStudy = (r: SRow): PullStudyRow => ({
  id: Number(r.id),
  pullId: Number(r.pull_id),
  studyInstanceUid: r.study_uid,
  patientId: r.patient_id,
  description: r.description,
  expected: r.expected === null || r.expected === undefined ? null : Number(r.expected),
  received: Number(r.received),
  state: r.state,
  reason: r.reason ?? '',
  attempts: Number(r.attempts),
  nextAttemptAt: Number(r.next_attempt_at),
  updatedAt: Number(r.updated_at),
})

const PULL_SELECT = 'SELECT p.id, p.project_id, pr.name AS project, p.node, p.user_name, p.state, p.created_at, p.updated_at FROM pulls p JOIN projects pr ON pr.id = p.project_id'
const STUDY_SELECT = 'SELECT id, pull_id, study_uid, patient_id, description, expected, received, state, reason, attempts, next_attempt_at, updated_at FROM pull_studies'

/** Pulls and their studies: readable by every process (the server's runner, a CLI following progress). */
export class PullsRepo {
  constructor(private readonly db: Db) {}

  async create(projectId: number, node: string, user: string, studies: { studyInstanceUid: string; patientId: string; description: string; expected: number | null }[]): Promise<number> {
    const now = Date.now()
    return this.db.transaction(async (tx) => {
      const id = (await tx.run('INSERT INTO pulls (project_id, node, user_name, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [projectId, node, user, 'running', now, now])).lastId
      for (const s of studies)
        await tx.run('INSERT INTO pull_studies (pull_id, study_uid, patient_id, description, expected, received, state, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, 0, 0, ?, ?)', [
          id,
          s.studyInstanceUid,
          s.patientId,
          s.description,
          s.expected,
          'pending',
          now,
          now,
        ])
      return id
    })
  }

  async byId(id: number): Promise<PullRow | undefined> {
    const r = await this.db.get<PRow>(`${PULL_SELECT} WHERE p.id = ?`, [id])
    return r && toPull(r)
  }

  /** Newest first; only the given projects when `projectIds` is set. */
  async list(projectIds?: number[]): Promise<PullRow[]> {
    if (projectIds && projectIds.length === 0) return []
    const where = projectIds ? ` WHERE p.project_id IN (${projectIds.map(() => '?').join(', ')})` : ''
    return (await this.db.all<PRow>(`${PULL_SELECT}${where} ORDER BY p.id DESC`, projectIds ?? [])).map(toPull)
  }

  async studies(pullId: number): Promise<PullStudyRow[]> {
    return (await this.db.all<SRow>(`${STUDY_SELECT} WHERE pull_id = ? ORDER BY id`, [pullId])).map(toStudy)
  }

  async study(id: number): Promise<PullStudyRow | undefined> {
    const r = await this.db.get<SRow>(`${STUDY_SELECT} WHERE id = ?`, [id])
    return r && toStudy(r)
  }

  async setPullState(id: number, state: PullStateRow): Promise<void> {
    await this.db.run('UPDATE pulls SET state = ?, updated_at = ? WHERE id = ?', [state, Date.now(), id])
  }

  /** Studies of running pulls that may start now: pending, or failed with attempts left and their backoff over. */
  async due(now: number, maxAttempts: number, limit: number): Promise<PullStudyRow[]> {
    return (
      await this.db.all<SRow>(
        `SELECT s.id, s.pull_id, s.study_uid, s.patient_id, s.description, s.expected, s.received, s.state, s.reason, s.attempts, s.next_attempt_at, s.updated_at
         FROM pull_studies s JOIN pulls p ON p.id = s.pull_id
         WHERE p.state = 'running' AND s.next_attempt_at <= ? AND (s.state = 'pending' OR (s.state = 'failed' AND s.attempts < ?))
         ORDER BY s.next_attempt_at, s.id LIMIT ${Math.max(1, Math.floor(limit))}`,
        [now, maxAttempts],
      )
    ).map(toStudy)
  }

  /** Studies in a given state of running pulls (restart recovery). */
  async inState(state: PullStudyStateRow): Promise<PullStudyRow[]> {
    return (await this.db.all<SRow>(`SELECT s.id, s.pull_id, s.study_uid, s.patient_id, s.description, s.expected, s.received, s.state, s.reason, s.attempts, s.next_attempt_at, s.updated_at FROM pull_studies s JOIN pulls p ON p.id = s.pull_id WHERE p.state = 'running' AND s.state = ? ORDER BY s.id`, [state])).map(toStudy)
  }

  /** Study UIDs of running pulls that are not finished, with their pull's project id. */
  async activeClaims(): Promise<{ studyInstanceUid: string; projectId: number; pullId: number }[]> {
    const rows = await this.db.all<{ study_uid: string; project_id: number; pull_id: number }>(
      `SELECT s.study_uid, p.project_id, s.pull_id FROM pull_studies s JOIN pulls p ON p.id = s.pull_id WHERE p.state = 'running' AND s.state <> 'imported' ORDER BY s.id`,
    )
    return rows.map((r) => ({ studyInstanceUid: r.study_uid, projectId: Number(r.project_id), pullId: Number(r.pull_id) }))
  }

  /**
   * Moves a study to `state` only when it is in one of `from` (so two runners never take the same study); true
   * when this call changed it.
   */
  async transition(id: number, from: PullStudyStateRow[], state: PullStudyStateRow, patch: { reason?: string; received?: number; attempts?: number; nextAttemptAt?: number } = {}): Promise<boolean> {
    const sets = ['state = ?', 'updated_at = ?']
    const params: (string | number)[] = [state, Date.now()]
    if (patch.reason !== undefined) (sets.push('reason = ?'), params.push(patch.reason))
    if (patch.received !== undefined) (sets.push('received = ?'), params.push(patch.received))
    if (patch.attempts !== undefined) (sets.push('attempts = ?'), params.push(patch.attempts))
    if (patch.nextAttemptAt !== undefined) (sets.push('next_attempt_at = ?'), params.push(patch.nextAttemptAt))
    const r = await this.db.run(`UPDATE pull_studies SET ${sets.join(', ')} WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})`, [...params, id, ...from])
    return r.changes > 0
  }

  /** Where a study of a project lives (patients_id/studies_id), by its StudyInstanceUID: for a push of its originals. */
  async studyFolders(projectId: number, studyUid: string): Promise<{ patientsId: string; studiesId: string }[]> {
    const rows = await this.db.all<{ patients_id: string; studies_id: string }>(
      'SELECT su.patients_id, st.studies_id FROM studies st JOIN subjects su ON su.id = st.subject_id WHERE st.project_id = ? AND st.study_uid = ? ORDER BY st.id',
      [projectId, studyUid],
    )
    return rows.map((r) => ({ patientsId: r.patients_id, studiesId: r.studies_id }))
  }

  async setReceived(id: number, received: number): Promise<void> {
    await this.db.run('UPDATE pull_studies SET received = ?, updated_at = ? WHERE id = ?', [received, Date.now(), id])
  }
}
