import { AuthError } from '../core/errors'
import type { Project, Role, User } from '../core/types'
import type { Repos } from '../store/repos'
import { randomToken, sha256Hex } from './secrets'

/** Run tokens carry a prefix of their own, so that they are told apart from API tokens in logs and scanners. */
export const RUN_TOKEN_PREFIX = 'nora_run_'

/** A run token's hard limit; the token dies earlier, when its run ends. */
export const RUN_TOKEN_TTL_MS = 7 * 24 * 3600 * 1000

/** What a valid run token stands for. */
export interface RunScope {
  /** The launching user, limited to the run's project (scope set, never a site admin). */
  user: User
  project: Project
  /** The run's study (PID#SID) or subject (PID). */
  psid: string
  runId: number
  batchId: number
}

/**
 * Per-run tokens: what the `nora` CLI inside a job acts with (NORA_RUN_TOKEN). A token carries the launching
 * user's rights on the run's project only, capped at write (job code reads and writes its project; it does not
 * launch jobs, change policies or reveal pseudonyms), re-checked on every use (a revoked right or a disabled user
 * ends it), and is valid while its run is queued or running.
 */
export class RunTokens {
  constructor(private readonly repos: Pick<Repos, 'runTokens' | 'users' | 'rights' | 'projects'>) {}

  /** A new token for `runId` acting as `actor` (id 0: console or autoexecution, no users row). Shown once. */
  async issue(actor: User, runId: number, projectId: number, ttlMs = RUN_TOKEN_TTL_MS): Promise<string> {
    const token = RUN_TOKEN_PREFIX + randomToken()
    await this.repos.runTokens.create(sha256Hex(token), runId, projectId, actor.id > 0 ? actor.id : null, actor.username.slice(0, 64), Date.now() + ttlMs)
    return token
  }

  async resolve(token: string): Promise<RunScope> {
    const row = token.startsWith(RUN_TOKEN_PREFIX) ? await this.repos.runTokens.valid(sha256Hex(token)) : undefined
    if (!row) throw new AuthError('the run token is unknown or expired, or its run has ended')
    const project = await this.repos.projects.byId(row.projectId)
    if (!project) throw new AuthError('the run token\'s project is gone')
    let base: User
    let role: Role
    if (row.userId === null) {
      base = { id: 0, username: row.username, displayName: row.username, email: '', isSiteAdmin: false, source: 'local', disabled: false, createdAt: 0 }
      role = 'write'
    } else {
      const u = await this.repos.users.byId(row.userId)
      if (!u || u.disabled) throw new AuthError(`the run token's user is ${u ? 'disabled' : 'gone'}`)
      const own = u.isSiteAdmin ? 'admin' : await this.repos.rights.roleOf(u.id, project.id)
      if (!own) throw new AuthError(`user "${u.username}" has no rights on project "${project.name}" any more`)
      base = u
      role = own === 'read' ? 'read' : 'write'
    }
    return { user: { ...base, isSiteAdmin: false, scope: { projectId: project.id, role } }, project, psid: row.psid, runId: row.runId, batchId: row.batchId }
  }

  revokeRun(runId: number): Promise<number> {
    return this.repos.runTokens.revokeRun(runId)
  }

  prune(): Promise<number> {
    return this.repos.runTokens.prune()
  }
}
