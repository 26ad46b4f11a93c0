import type { User } from '../../../core/types'
import type { FindView } from '../../../pacs/find-view'
import type { Pull } from '../../../pacs/pull-service'
import type { FindResult } from '../../../pacs/pacs-service'
import { plural } from '../../responses'

/** The search form's fields as the page writes them (study dates as two date inputs). */
export interface PacsForm {
  node?: string
  level?: string
  project?: string
  search?: string
  PatientName?: string
  PatientID?: string
  PatientBirthDate?: string
  AccessionNumber?: string
  StudyDateFrom?: string
  StudyDateTo?: string
  StudyDate?: string
  Modality?: string
  StudyDescription?: string
  StudyInstanceUID?: string
}

/** `2020-01-01` + `2020-12-31` -> `20200101-20201231`; one side open -> `20200101-` / `-20201231`; or StudyDate as given. */
export function studyDateOf(form: PacsForm): string | undefined {
  const from = (form.StudyDateFrom ?? '').replace(/-/g, '')
  const to = (form.StudyDateTo ?? '').replace(/-/g, '')
  if (from || to) return from === to ? from : `${from}-${to}`
  return form.StudyDate || undefined
}

const when = (ms: number) => new Date(ms < 1e12 ? ms * 1000 : ms).toISOString().slice(0, 19).replace('T', ' ')

const COUNT = { PATIENT: ['patient', 'patients'], STUDY: ['study', 'studies'], SERIES: ['series', 'series'] } as const

/** One pull for the progress partial: counts by state, and whether the page should keep polling. */
export function pullView(p: Pull) {
  const by = (s: string) => p.studies.filter((x) => x.state === s).length
  const imported = by('imported')
  const failed = by('failed')
  const parts = [`${imported}/${p.studies.length} imported`]
  for (const s of ['pending', 'moving', 'received'] as const) if (by(s)) parts.push(`${by(s)} ${s}`)
  if (failed) parts.push(`${failed} failed`)
  return {
    ...p,
    running: p.state === 'running',
    created: when(p.createdAt),
    done: imported + failed,
    total: Math.max(p.studies.length, 1),
    summary: parts.join(', '),
    studies: p.studies.map((s) => ({ ...s, expectedText: s.expected === null ? '?' : String(s.expected) })),
  }
}

/** The result table's model for a find, with links to drill down (never carrying identities of a pseudonymised view). */
export function resultsView(view: FindView, pullProjects: { name: string; pseudonymize: boolean }[], csrf: string | undefined) {
  const base = (extra: Record<string, string>) => {
    const q = new URLSearchParams({ search: '1', node: view.node, ...(view.project ? { project: view.project } : {}), ...extra })
    return `/pacs?${q}`
  }
  const sorted = [...view.results].sort((a, b) => (a.PatientID ?? '').localeCompare(b.PatientID ?? '') || (a.StudyDate ?? '').localeCompare(b.StudyDate ?? '') || (a.SeriesNumber ?? '').localeCompare(b.SeriesNumber ?? '', undefined, { numeric: true }))
  const rows = sorted.map((r: FindResult) => ({
    ...r,
    studiesUrl: view.level === 'PATIENT' && !view.pseudonymised && r.PatientID ? base({ level: 'study', PatientID: r.PatientID }) : undefined,
    seriesUrl: view.level === 'STUDY' ? base({ level: 'series', StudyInstanceUID: r.StudyInstanceUID ?? '' }) : undefined,
  }))
  const [one, many] = COUNT[view.level]
  return {
    ...view,
    csrf,
    rows,
    countLine: plural(rows.length, one, many),
    patient: view.level === 'PATIENT',
    study: view.level === 'STUDY',
    series: view.level === 'SERIES',
    pullProjects: pullProjects.map((p) => ({ ...p, selected: p.name === view.project })),
  }
}

export function pageBase(siteName: string, user: User, csrf: string | undefined) {
  return { title: 'PACS query', site: siteName, user, csrf }
}
