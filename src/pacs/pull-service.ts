import type { ArchiveService } from '../archive/archive-service'
import type { Rights } from '../auth/rights'
import { ConflictError, NotFoundError, UsageError } from '../core/errors'
import type { User } from '../core/types'
import { uidProblem } from '../dicom/uid'
import type { PullsRepo, PullRow, PullStudyRow } from '../store/repos/pulls-repo'

export type PullStudyState = 'pending' | 'moving' | 'received' | 'imported' | 'failed'
export interface PullStudy {
  studyInstanceUid: string
  patientId: string
  description: string
  expected: number | null
  received: number
  state: PullStudyState
  reason: string
  attempts: number
  updatedAt: number
}
export interface Pull {
  id: number
  project: string
  node: string
  user: string
  createdAt: number
  state: 'running' | 'done' | 'failed' | 'cancelled'
  studies: PullStudy[]
}

export interface PullInput {
  node: string
  project: string
  studies: { studyInstanceUid: string; expectedInstances?: number; patientId?: string; description?: string }[]
}

/** What the service needs to know about PACS nodes (PacsService has it). */
export interface NodeNames {
  /** Throws a NotFoundError listing the configured nodes when `name` is unknown. */
  node(name: string): unknown
}

export const toPullStudy = (s: PullStudyRow): PullStudy => ({
  studyInstanceUid: s.studyInstanceUid,
  patientId: s.patientId,
  description: s.description,
  expected: s.expected,
  received: s.received,
  state: s.state,
  reason: s.reason,
  attempts: s.attempts,
  updatedAt: s.updatedAt,
})

/**
 * Pulls of studies from a PACS node into a project: durable jobs in the database. This service creates, reads and
 * cancels them; the PullRunner (started by `nora serve`, or by the CLI when no server runs) does the moving.
 */
export class PullService {
  constructor(private readonly deps: { pulls: PullsRepo; archive: ArchiveService; rights: Rights; nodes: NodeNames }) {}

  async create(actor: User, input: PullInput): Promise<Pull> {
    this.deps.nodes.node(input.node)
    const project = await this.deps.archive.open(actor, input.project, 'write')
    if (!input.studies.length) throw new UsageError('a pull needs at least one study (StudyInstanceUID)')
    const seen = new Set<string>()
    const studies: { studyInstanceUid: string; patientId: string; description: string; expected: number | null }[] = []
    for (const s of input.studies) {
      const uid = String(s.studyInstanceUid ?? '').trim()
      const problem = uidProblem(uid)
      if (problem) throw new UsageError(`"${uid.slice(0, 80)}" is not a StudyInstanceUID: it ${problem} (digits and dots, at most 64 characters)`)
      if (seen.has(uid)) continue
      seen.add(uid)
      const expected = s.expectedInstances === undefined || s.expectedInstances === null || !Number.isFinite(Number(s.expectedInstances)) ? null : Math.max(0, Math.floor(Number(s.expectedInstances)))
      studies.push({ studyInstanceUid: uid, patientId: String(s.patientId ?? '').slice(0, 255), description: String(s.description ?? '').slice(0, 255), expected })
    }
    const id = await this.deps.pulls.create(project.id, input.node, actor.username, studies)
    return this.load(id)
  }

  async get(actor: User, id: number): Promise<Pull> {
    const row = await this.deps.pulls.byId(id)
    if (!row) throw new NotFoundError(`no pull ${id}; list them with nora pacs pulls`)
    await this.deps.archive.open(actor, row.project, 'read')
    return this.withStudies(row)
  }

  async list(actor: User, opts: { project?: string } = {}): Promise<Pull[]> {
    let ids: number[] | undefined
    if (opts.project) ids = [(await this.deps.archive.open(actor, opts.project, 'read')).id]
    else if (!actor.isSiteAdmin) ids = (await this.deps.rights.visibleProjects(actor)).map((p) => p.id)
    const rows = await this.deps.pulls.list(ids)
    return Promise.all(rows.map((r) => this.withStudies(r)))
  }

  /** Stops a running pull: studies not yet moving are left alone; what was received stays in the spool. */
  async cancel(actor: User, id: number): Promise<Pull> {
    const row = await this.deps.pulls.byId(id)
    if (!row) throw new NotFoundError(`no pull ${id}; list them with nora pacs pulls`)
    await this.deps.archive.open(actor, row.project, 'write')
    if (row.state !== 'running') throw new ConflictError(`pull ${id} is ${row.state}, not running; nothing to cancel`)
    await this.deps.pulls.setPullState(id, 'cancelled')
    return this.load(id)
  }

  private async load(id: number): Promise<Pull> {
    const row = await this.deps.pulls.byId(id)
    if (!row) throw new NotFoundError(`no pull ${id}`)
    return this.withStudies(row)
  }

  private async withStudies(row: PullRow): Promise<Pull> {
    const studies = await this.deps.pulls.studies(row.id)
    return { id: row.id, project: row.project, node: row.node, user: row.user, createdAt: row.createdAt, state: row.state, studies: studies.map(toPullStudy) }
  }
}
