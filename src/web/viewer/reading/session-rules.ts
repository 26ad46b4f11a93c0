/**
 * What a reading session shows, from the reading's configuration: blind readings hide names (the case's patient and
 * study IDs, file names: the viewer gets "image1.nii.gz") and the patient table (always; not only detached); a controlled session hides or
 * detaches the table (`reading.hidePatientTable: 1`, or `reading.patientTable`: "visible" | "hidden" | "detached"). Pure.
 */
import type { Layout } from '../viewer'
import type { ReadingCase } from './reading-api'

/** The viewer's layouts (viewer.ts LAYOUTS; not imported, so this module stays free of NiiVue). */
const LAYOUTS: readonly Layout[] = ['1', '2', '3', '4', 'three-plane']

export type TableRule = 'visible' | 'hidden' | 'detached'

export interface SessionRules {
  blind: boolean
  table: TableRule
  layout?: Layout
  /** Workstation tools the reading turns off (`tools`: {"roi": 0}) while a session runs. */
  toolsOff?: string[]
  /** The reading keeps the ROIs drawn on a case with its result (`tools`: {"roi": 1}). */
  rois?: boolean
  /** The names of a staged reading's stages (`reading.stages`: a count or [{"name"}]); absent for one stage. */
  stages?: string[]
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {})

/** The session's rules from a reading's config (its general `mode` and the reading JSON's `reading` / `viewer`). */
export function sessionRules(config: Record<string, unknown>): SessionRules {
  const readingJson = obj(config.reading)
  const reading = obj(readingJson.reading)
  const viewer = obj(readingJson.viewer)
  const mode = String(config.mode ?? reading.mode ?? '').toLowerCase()
  const blind = mode === 'blind' || reading.blind === true || reading.blind === 1
  const hide = reading.hidePatientTable === true || reading.hidePatientTable === 1 || reading.hidePatientTable === '1'
  const asked = hide ? 'hidden' : String(reading.patientTable ?? viewer.patientTable ?? '').toLowerCase()
  const table: TableRule = asked === 'hidden' || asked === 'detached' || asked === 'visible' ? asked : blind ? 'hidden' : 'visible'
  const layout = typeof viewer.layout === 'string' && (LAYOUTS as readonly string[]).includes(viewer.layout) ? (viewer.layout as Layout) : undefined
  const tools = obj(readingJson.tools)
  const toolsOff = Object.entries(tools).filter(([k, v]) => k !== 'reading' && (v === 0 || v === false || v === '0')).map(([k]) => k)
  const rois = tools.roi === 1 || tools.roi === true || tools.roi === '1' || tools.roi === 'true'
  const st = reading.stages
  const stages = Array.isArray(st) ? st.map((x, i) => (x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string' ? String((x as { name: string }).name) : `stage ${i + 1}`)) : typeof st === 'number' || typeof st === 'string' ? Array.from({ length: Math.max(1, Math.min(10, Number(st) || 1)) }, (_, i) => `stage ${i + 1}`) : []
  // Blind: the table is out of sight whatever the reading says (a detached table still shows names and IDs).
  return { blind: blind, table: blind ? 'hidden' : table, layout, ...(toolsOff.length ? { toolsOff } : {}), ...(rois ? { rois } : {}), ...(stages.length > 1 ? { stages } : {}) }
}

/** The stage a case shows, in a staged reading: "stage 2 of 2: AI" (empty with one stage). */
export function stageLabel(stage: number, rules: SessionRules): string {
  if (!rules.stages) return ''
  const name = rules.stages[stage - 1]
  return `stage ${stage} of ${rules.stages.length}${name && name !== `stage ${stage}` ? `: ${name}` : ''}`
}

/** What the panel says about a case: nothing in a blind reading, else its label or PID / SID. */
export function caseLabel(c: ReadingCase, rules: SessionRules): string {
  if (rules.blind) return ''
  return c.label || [c.pid, c.sid].filter(Boolean).join(' / ')
}

/** The name the viewer shows for the n-th file of a case: its own, or in a blind reading "image<n>" with its extension. */
export function fileName(path: string, n: number, rules: SessionRules): string {
  const base = path.split('/').pop() || path
  if (!rules.blind) return base
  const ext = /(\.nii\.gz|\.tar\.gz|\.[A-Za-z0-9]+(\.gz)?)$/.exec(base)?.[0] ?? ''
  return `image${n}${ext}`
}

/** Which phases the reader may restart (`reading.allowRestartOfTraining` / `allowRestartOfSerious`). */
export function restartRules(config: Record<string, unknown>): { training: boolean; serious: boolean } {
  const rj = obj(config.reading)
  const settings = 'reading' in rj || 'viewer' in rj || 'tools' in rj ? obj(rj.reading) : obj(config.reading)
  const yes = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true'
  return { training: yes(settings.allowRestartOfTraining), serious: yes(settings.allowRestartOfSerious) }
}
