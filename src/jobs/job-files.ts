import { basename, dirname, join } from 'node:path'
import type { ExternalState, JobResources } from './executor'
import type { JobExit } from './local-executor'

/** How a job ended as the service records it: the exit, or what ended it (`reason`: the scheduler's word). */
export type JobEnd = JobExit & { reason?: string }

export const LOST_DOWN = 'lost: the process ended while nora was down'
export const LOST_NOT_STARTED = 'lost: nora ended before the job started'

export { defaultNoraDir } from '../core/nora-dir'

/** Where a job's wrapper writes its exit code: `.LOG.exit` beside its log. */
export const exitFileOf = (logPath: string) => join(dirname(logPath), `.${basename(logPath)}.exit`)

/** A scheduler's final report as the exit the rest of the service understands. */
export const exitOf = (s: ExternalState): JobEnd => (s.state === 'done' ? { code: s.exitCode, signal: null } : { code: s.exitCode, signal: null, reason: s.reason || 'ended by the scheduler' })

/** The resources a job names itself (unset, empty and 0 left to the defaults). */
export const definedOf = (r: JobResources): JobResources => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined && v !== '' && v !== 0)) as JobResources
