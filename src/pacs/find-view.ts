import type { ArchiveService } from '../archive/archive-service'
import type { Rights } from '../auth/rights'
import { ForbiddenError, UsageError } from '../core/errors'
import type { Project, User } from '../core/types'
import type { Pseudonyms } from '../importer/pseudonyms'
import { normalizeDateKey, type FindResult, type PacsService, type QueryLevel } from './pacs-service'

/** The query keys the PACS query page and API accept, and at which levels each one is sent. */
export const QUERY_KEYS = ['PatientName', 'PatientID', 'PatientBirthDate', 'AccessionNumber', 'StudyDate', 'StudyDescription', 'Modality', 'StudyInstanceUID'] as const
export type QueryKey = (typeof QUERY_KEYS)[number]

const PATIENT_KEYS = new Set<string>(['PatientName', 'PatientID', 'PatientBirthDate'])
const DATE_KEYS = new Set<string>(['StudyDate', 'PatientBirthDate'])

export const LEVELS: Record<string, QueryLevel> = { patient: 'PATIENT', study: 'STUDY', series: 'SERIES' }

export interface FindRequest {
  node: string
  level: QueryLevel
  keys: Partial<Record<QueryKey, string>>
  /** The target project: results are shown as that project would store them (pseudonymised or not). */
  project?: string
}

export interface FindView {
  node: string
  level: QueryLevel
  /** The keys as sent to the PACS (dates normalised, level-inapplicable keys left out). */
  keys: Record<string, string>
  project?: string
  pseudonymised: boolean
  results: FindResult[]
}

/** A real calendar date YYYYMMDD. */
function isDate(d: string): boolean {
  if (!/^\d{8}$/.test(d)) return false
  const t = new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8)))
  return t.getUTCFullYear() === +d.slice(0, 4) && t.getUTCMonth() === +d.slice(4, 6) - 1 && t.getUTCDate() === +d.slice(6, 8)
}

/** A date key as the user typed it (`2020`, `2020-2021`, `20200101-20201231`, `2020-03-01`) in DICOM form, or a UsageError. */
export function dateKey(key: string, value: string): string {
  const v = normalizeDateKey(value)
  if (v === '') return ''
  const m = /^(\d{8})?-?(\d{8})?$/.exec(v)
  const ok = m && (m[1] || m[2]) && (!m[1] || isDate(m[1])) && (!m[2] || isDate(m[2])) && (v.includes('-') || !m[2]) && (!m[1] || !m[2] || m[1] <= m[2])
  if (!ok) throw new UsageError(`${key} "${value}" is not a date or date range; use YYYYMMDD, YYYYMMDD-YYYYMMDD, YYYY-MM-DD, YYYY or YYYY-YYYY (an open end like 2020- works too)`)
  return v
}

/**
 * Who may query the PACS, and what they see. Rule: site admins, and every user with the write right on at least
 * one project (a user who cannot import anything has no business browsing the clinic's PACS). With a target
 * project the caller must be allowed to write it, and when its policy is `pseudonymize` every result shows the
 * pseudonym the importer will give that patient (name and ID) and only the birth year, exactly as the project
 * will store it. Without a target project results are shown as the PACS sends them, unless the user may write
 * only pseudonymising projects: then naming one is required, so such users never see an identity.
 */
export class PacsQuery {
  constructor(
    private readonly deps: { pacs: PacsService; archive: ArchiveService; rights: Rights; pseudonyms: Pseudonyms },
  ) {}

  nodes(): { name: string; aet: string; host: string; port: number }[] {
    return this.deps.pacs.names().map((n) => this.deps.pacs.node(n))
  }

  /** The projects the user may pull into (write right), with their identity policy. */
  async writableProjects(user: User): Promise<{ project: Project; pseudonymize: boolean }[]> {
    const out: { project: Project; pseudonymize: boolean }[] = []
    for (const p of await this.deps.rights.visibleProjects(user)) {
      if (!(await this.deps.rights.can(user, 'write', p))) continue
      out.push({ project: p, pseudonymize: (await this.deps.archive.policy(p)).identity === 'pseudonymize' })
    }
    return out
  }

  /** Throws unless the user may query the PACS at all. */
  async requireQueryRight(user: User): Promise<void> {
    if (user.isSiteAdmin && !user.disabled) return
    if ((await this.writableProjects(user)).length === 0)
      throw new ForbiddenError(`user "${user.username}" may not query the PACS: that needs the write right on at least one project (nora --admin grant ${user.username} PROJECT write)`)
  }

  async echo(user: User, node: string): Promise<number> {
    await this.requireQueryRight(user)
    return this.deps.pacs.echo(node)
  }

  /** The keys to send: known keys only, dates normalised and checked, patient-level queries without study keys. */
  queryKeys(level: QueryLevel, keys: Partial<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [k, raw] of Object.entries(keys)) {
      if (raw === undefined) continue
      if (!(QUERY_KEYS as readonly string[]).includes(k)) throw new UsageError(`"${k}" is not a query key here; use ${QUERY_KEYS.join(', ')}`)
      const v = raw.trim()
      if (v === '' || v === '*') continue
      if (level === 'PATIENT' && !PATIENT_KEYS.has(k)) continue
      const key = k === 'Modality' && level === 'STUDY' ? 'ModalitiesInStudy' : k
      const value = DATE_KEYS.has(k) ? dateKey(k, v) : v
      if (value !== '') out[key] = value
    }
    if (level === 'SERIES' && !out.StudyInstanceUID) throw new UsageError('a series query needs StudyInstanceUID (find it with a study query)')
    return out
  }

  async find(user: User, req: FindRequest): Promise<FindView> {
    const keys = this.queryKeys(req.level, req.keys)
    const target = await this.target(user, req.project)
    this.deps.pacs.node(req.node) // an unknown node is a 404 before anything else
    const results = await this.deps.pacs.find(req.node, req.level, keys)
    const pseudonymised = target !== undefined && target.pseudonymize
    return {
      node: req.node,
      level: req.level,
      keys,
      project: target?.project.name,
      pseudonymised,
      results: pseudonymised ? await this.pseudonymise(target.project, results) : results,
    }
  }

  /**
   * The given studies as `find` shows them (one C-FIND per UID, 4 at a time: a UID list in one request is not
   * something every PACS, nor our SCU, handles). Studies the PACS does not know are left out.
   */
  async studies(user: User, node: string, uids: string[], project?: string): Promise<FindView> {
    const queue = [...uids]
    const results: FindResult[] = []
    let view: FindView | undefined
    const worker = async () => {
      for (let uid = queue.shift(); uid !== undefined; uid = queue.shift()) {
        const one = await this.find(user, { node, level: 'STUDY', keys: { StudyInstanceUID: uid }, project })
        view = one
        results.push(...one.results.filter((r) => r.StudyInstanceUID === uid))
      }
    }
    await Promise.all(Array.from({ length: Math.min(4, uids.length) }, worker))
    const order = new Map(uids.map((u, i) => [u, i]))
    results.sort((a, b) => order.get(a.StudyInstanceUID ?? '')! - order.get(b.StudyInstanceUID ?? '')!)
    if (!view) throw new UsageError('name at least one StudyInstanceUID')
    return { ...(view as FindView), keys: { StudyInstanceUID: uids.join('\\') }, results }
  }

  private async target(user: User, name: string | undefined): Promise<{ project: Project; pseudonymize: boolean } | undefined> {
    if (name) {
      const project = await this.deps.archive.open(user, name, 'write')
      return { project, pseudonymize: (await this.deps.archive.policy(project)).identity === 'pseudonymize' }
    }
    if (user.isSiteAdmin && !user.disabled) return undefined
    const writable = await this.writableProjects(user)
    if (writable.length === 0) await this.requireQueryRight(user)
    if (writable.every((w) => w.pseudonymize))
      throw new UsageError(`name the target project (project=${writable[0]!.project.name}): the projects you may write are pseudonymised, so PACS results are shown with their pseudonyms`)
    return undefined
  }

  /** Results as the project will store them: name and ID the pseudonym (from the Pseudonyms service), birth year only. */
  private async pseudonymise(project: Project, results: FindResult[]): Promise<FindResult[]> {
    const mode = (await this.deps.archive.policy(project)).pseudonymMode
    const out: FindResult[] = []
    for (const r of results) {
      const row = { ...r }
      if ('PatientID' in r || 'PatientName' in r) {
        const pseudonym = await this.deps.pseudonyms.pseudonymFor(project, mode, { patientId: r.PatientID ?? '', patientName: r.PatientName ?? '', birthDate: r.PatientBirthDate ?? '' })
        if ('PatientID' in row) row.PatientID = pseudonym
        if ('PatientName' in row) row.PatientName = pseudonym
      }
      if ('PatientBirthDate' in row) row.PatientBirthDate = (row.PatientBirthDate ?? '').slice(0, 4)
      out.push(row)
    }
    return out
  }
}
