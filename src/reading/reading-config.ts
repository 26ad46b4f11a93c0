import { checkPresets, type AutoloadItem } from '../archive/autoloaders'
import { FILTER_BARS, type FilterBar, type FilterBars } from '../archive/filter/compile-filter'
import { parseFilter } from '../archive/filter/parse-filter'
import { SORT_COLUMNS, type SortColumn } from '../archive/filter/study-query'
import { UsageError } from '../core/errors'
import type { RandomKind, RandomUnit } from './case-order'
import { formInputs, type FormInput } from './form'
import { translateCondition, type Condition } from './sql-condition'

/**
 * A reading's configuration: the JSON an admin writes in the form designer (general, form and reading tabs), checked
 * here with the JSON path of every fault. The stored text is the admin's own; this is its meaning.
 *
 *   {
 *     "name": "RSTONE2", "mode": "individual" | "joint" | "blind",
 *     "admins": ["alice"], "readers": ["bob", "carol"],
 *     "instructions": "text", "links": [{"label": "slides", "url": "https://..."}],
 *     "form": { "type": "basis", "items": [...] },
 *     "reading": {
 *       "reading": { "random": "none" | "full" | "idhash", "randomise": "patient" | "study" | "image", "imagePattern": "*.nii*",
 *                    "repetitions": 1, "stages": 1 | [{"name": "raw"}, {"name": "AI", "autoloaders": [...]}],
 *                    "mode_training": {"SQLCondition": "STAG LIKE '%Training%'"}, "mode_serious": {"filter": "STAG:serious"},
 *                    "allowRestartOfTraining": 1, "allowRestartOfSerious": 0, "hidePatientTable": 1, "tagTarget": "study" | "patient" },
 *       "tools": { ... what the workstation offers, kept as given ... },
 *       "viewer": { "sortOrder": "studies_id", "sortDirection": "asc", "autoloaders": [{"pattern": "t1*\/*.nii", "viewport": 1}], ... }
 *     }
 *   }
 *
 * The reading tab's object may also be given flat (`reading`, `tools`, `viewer` at the top level). A mode selects its
 * cases by `SQLCondition` (the seed's simple forms, translated to filter bars: sql-condition.ts) or by `filter`
 * (filter-bar text, or {bar: text}); neither selects every study of the project.
 */

export const READING_MODES = ['individual', 'joint', 'blind'] as const
export type ReadingKind = (typeof READING_MODES)[number]
export type Phase = 'training' | 'serious'
export const PHASES: readonly Phase[] = ['training', 'serious']

export interface ModeSelection {
  bars: FilterBars
  /** The exact condition to check the selected rows against (SQLCondition only). */
  condition?: Condition
  /** The selection as filter-bar text (shown to admins). */
  filterText: string
}

export interface Stage {
  name: string
  /** This stage's autoloaders (else the viewer's). */
  autoloaders?: AutoloadItem[]
}

export interface ReadingConfig {
  name: string
  mode: ReadingKind
  admins: string[]
  readers: string[]
  instructions: string
  links: { label: string; url: string }[]
  form: unknown
  inputs: FormInput[]
  random: RandomKind
  randomise: RandomUnit
  imagePattern?: string
  repetitions: number
  stages: Stage[]
  selection: Record<Phase, ModeSelection>
  allowRestart: Record<Phase, boolean>
  hidePatientTable: boolean
  tagTarget: 'study' | 'patient'
  sortOrder: SortColumn
  sortDirection: 'asc' | 'desc'
  /** The viewer's autoloaders (undefined: the project's active preset). */
  autoloaders?: AutoloadItem[]
  /** The reading-tab object (`reading`, `tools`, `viewer`) as given. */
  readingJson: Record<string, unknown>
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true'
const USER = /^[A-Za-z0-9_.@+-]{1,64}$/

function fail(path: string, what: string): never {
  throw new UsageError(`reading config ${path}: ${what}`)
}

/** The seed's column names for sortOrder, besides the table's own. */
const SORT_ALIASES: Record<string, SortColumn> = {
  patientid: 'patients_id',
  piz: 'patients_id',
  patientname: 'name',
  patientbirthdate: 'birth_date',
  patientsex: 'sex',
  studyid: 'studies_id',
  sid: 'studies_id',
  studydate: 'study_date',
  studydescription: 'description',
}

function users(v: unknown, path: string): string[] {
  if (v === undefined || v === null || v === '') return []
  const list = typeof v === 'string' ? v.split(/[\s,;]+/).filter(Boolean) : v
  if (!Array.isArray(list)) fail(path, 'a list of user names, e.g. ["alice", "bob"]')
  return list.map((u, i) => {
    if (typeof u !== 'string' || !USER.test(u)) fail(`${path}[${i}]`, `${JSON.stringify(u)} is not a user name`)
    return u
  })
}

function autoloaderItems(v: unknown, path: string): AutoloadItem[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v)) fail(path, 'a list of {"pattern", "viewport", "as", "colormap", "min", "max"}')
  try {
    return checkPresets([{ name: 'reading', active: true, items: v }])[0]!.items
  } catch (e) {
    fail(path, (e as Error).message.replace(/^autoloader preset 1 /, ''))
  }
}

function selection(v: unknown, path: string): ModeSelection {
  if (v === undefined || v === null) return { bars: {}, filterText: '(every study)' }
  if (!isObject(v)) fail(path, 'an object {"SQLCondition": "..."} or {"filter": "..."}')
  const sql = v.SQLCondition ?? v.sqlCondition
  if (sql !== undefined && v.filter !== undefined) fail(path, 'give SQLCondition or filter, not both')
  if (sql !== undefined && sql !== '') {
    if (typeof sql !== 'string') fail(`${path}.SQLCondition`, 'must be text')
    try {
      const t = translateCondition(sql)
      return { bars: t.bars, condition: t.condition, filterText: t.filterText }
    } catch (e) {
      fail(`${path}.SQLCondition`, (e as Error).message)
    }
  }
  const f = v.filter
  if (f === undefined || f === '') return { bars: {}, filterText: '(every study)' }
  const bars: FilterBars = typeof f === 'string' ? { q: f } : isObject(f) ? (f as FilterBars) : fail(`${path}.filter`, 'filter-bar text, or {"bar": "text"}')
  for (const [bar, text] of Object.entries(bars)) {
    if (!(FILTER_BARS as readonly string[]).includes(bar)) fail(`${path}.filter.${bar}`, `no such filter bar; the bars are ${FILTER_BARS.join(', ')}`)
    if (typeof text !== 'string') fail(`${path}.filter.${bar}`, 'must be text')
    try {
      parseFilter(text)
    } catch (e) {
      fail(`${path}.filter.${bar}`, (e as Error).message)
    }
  }
  const shown = Object.entries(bars).map(([b, t]) => (b === 'q' ? String(t) : `${b}: ${t}`))
  return { bars: bars as Partial<Record<FilterBar, string>>, filterText: shown.join(' ; ') || '(every study)' }
}

function wholeNumber(v: unknown, path: string, min: number, max: number, fallback: number): number {
  if (v === undefined || v === null || v === '') return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) fail(path, `a whole number from ${min} to ${max} (it is ${JSON.stringify(v)})`)
  return n
}

/** Checks a config from a client; UsageError with the JSON path of the first fault. */
export function parseReadingConfig(raw: unknown): ReadingConfig {
  if (!isObject(raw)) fail('', 'must be a JSON object')
  const name = raw.name
  if (typeof name !== 'string' || !name.trim() || name.length > 128) fail('name', 'the reading needs a name (1-128 characters)')
  const mode = raw.mode ?? 'individual'
  if (!(READING_MODES as readonly unknown[]).includes(mode)) fail('mode', `one of ${READING_MODES.join(', ')} (it is ${JSON.stringify(mode)})`)
  // Info: `instructions` and `links` at the top, or inside an `info` object (as the readings list returns them).
  const info = isObject(raw.info) ? raw.info : {}
  const instructions = raw.instructions ?? info.instructions ?? (typeof raw.info === 'string' ? raw.info : '')
  if (typeof instructions !== 'string' || instructions.length > 20_000) fail('instructions', 'text of at most 20000 characters')
  const links = raw.links ?? info.links ?? []
  if (!Array.isArray(links) || links.length > 20) fail('links', 'a list of at most 20 {"label", "url"}')
  const cleanLinks = links.map((l, i) => {
    if (!isObject(l) || typeof l.url !== 'string') fail(`links[${i}]`, 'an object {"label": "...", "url": "https://..."}')
    if (!/^https?:\/\//i.test(l.url) || l.url.length > 2000) fail(`links[${i}].url`, 'an http(s) address')
    return { label: typeof l.label === 'string' && l.label ? l.label.slice(0, 200) : l.url, url: l.url }
  })
  const inputs = formInputs(raw.form ?? { type: 'basis', items: [] }, 'form')

  // The reading tab: nested ({"reading": {"reading", "tools", "viewer"}}) or flat.
  const nested = isObject(raw.reading) && ('reading' in raw.reading || 'viewer' in raw.reading || 'tools' in raw.reading)
  const rj = nested ? (raw.reading as Record<string, unknown>) : raw
  const base = nested ? 'reading' : ''
  const at = (p: string) => (base ? `${base}.${p}` : p)
  const settingsValue = rj.reading ?? {}
  if (!isObject(settingsValue)) fail(at('reading'), 'must be an object')
  const settings = settingsValue as Record<string, unknown>
  const sp = (k: string) => at(`reading.${k}`)
  const viewer = rj.viewer ?? {}
  if (!isObject(viewer)) fail(at('viewer'), 'must be an object')
  if (rj.tools !== undefined && !isObject(rj.tools)) fail(at('tools'), 'must be an object')

  const random = settings.random ?? 'none'
  if (!['none', 'full', 'idhash'].includes(random as string)) fail(sp('random'), `"none", "full" or "idhash" (it is ${JSON.stringify(random)})`)
  const randomise = settings.randomise ?? settings.randomize ?? 'study'
  if (!['patient', 'study', 'image'].includes(randomise as string)) fail(sp('randomise'), `"patient", "study" or "image" (it is ${JSON.stringify(randomise)})`)
  const imagePattern = settings.imagePattern
  if (imagePattern !== undefined && (typeof imagePattern !== 'string' || !imagePattern || imagePattern.length > 512)) fail(sp('imagePattern'), 'a file pattern like t1*/*.nii')
  let stages: Stage[]
  if (Array.isArray(settings.stages)) {
    if (settings.stages.length < 1 || settings.stages.length > 10) fail(sp('stages'), 'from 1 to 10 stages')
    stages = settings.stages.map((s, i) => {
      if (!isObject(s)) fail(`${sp('stages')}[${i}]`, 'an object {"name", "autoloaders"}')
      const st: Stage = { name: typeof s.name === 'string' && s.name ? s.name.slice(0, 64) : `stage ${i + 1}` }
      const al = autoloaderItems(s.autoloaders, `${sp('stages')}[${i}].autoloaders`)
      if (al) st.autoloaders = al
      return st
    })
  } else {
    const n = wholeNumber(settings.stages, sp('stages'), 1, 10, 1)
    stages = Array.from({ length: n }, (_, i) => ({ name: `stage ${i + 1}` }))
  }
  const sortRaw = viewer.sortOrder ?? settings.sortOrder ?? 'patients_id'
  const sortOrder = typeof sortRaw === 'string' ? ((SORT_COLUMNS as readonly string[]).includes(sortRaw) ? (sortRaw as SortColumn) : SORT_ALIASES[sortRaw.toLowerCase()]) : undefined
  if (!sortOrder) fail(at('viewer.sortOrder'), `one of ${SORT_COLUMNS.join(', ')} (or PatientID, PatientName, StudyID, StudyDate, StudyDescription)`)
  const dirRaw = String(viewer.sortDirection ?? settings.sortDirection ?? 'asc').toLowerCase()
  if (dirRaw !== 'asc' && dirRaw !== 'desc') fail(at('viewer.sortDirection'), '"asc" or "desc"')
  const tagTarget = settings.tagTarget ?? 'study'
  if (tagTarget !== 'study' && tagTarget !== 'patient') fail(sp('tagTarget'), '"study" or "patient"')
  const autoloaders = autoloaderItems(viewer.autoloaders, at('viewer.autoloaders'))
  if (randomise === 'image' && !imagePattern && !autoloaders?.length) fail(sp('imagePattern'), 'randomise "image" needs the images: an imagePattern (or viewer.autoloaders, whose first pattern is used)')

  return {
    name: name.trim(),
    mode: mode as ReadingKind,
    admins: users(raw.admins, 'admins'),
    readers: users(raw.readers, 'readers'),
    instructions,
    links: cleanLinks,
    form: raw.form ?? { type: 'basis', items: [] },
    inputs,
    random: random as RandomKind,
    randomise: randomise as RandomUnit,
    ...(typeof imagePattern === 'string' ? { imagePattern } : {}),
    repetitions: wholeNumber(settings.repetitions, sp('repetitions'), 1, 20, 1),
    stages,
    selection: { training: selection(settings.mode_training, sp('mode_training')), serious: selection(settings.mode_serious, sp('mode_serious')) },
    allowRestart: { training: truthy(settings.allowRestartOfTraining), serious: truthy(settings.allowRestartOfSerious) },
    hidePatientTable: truthy(settings.hidePatientTable ?? (mode === 'blind' ? 1 : 0)),
    tagTarget,
    sortOrder,
    sortDirection: dirRaw,
    ...(autoloaders ? { autoloaders } : {}),
    readingJson: nested ? (raw.reading as Record<string, unknown>) : { reading: settings, tools: rj.tools ?? {}, viewer },
  }
}

/**
 * What a reader gets of the config: no admins/readers lists, no case conditions (they would tell which studies are
 * training cases, and in blind mode more). The form, instructions, tools, viewer and flow settings stay.
 */
export function readerView(raw: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(raw)
  delete copy.admins
  delete copy.readers
  const strip = (settings: unknown) => {
    if (!isObject(settings)) return
    delete settings.mode_training
    delete settings.mode_serious
  }
  if (isObject(copy.reading)) {
    strip(copy.reading.reading)
    if (!('reading' in copy.reading) && !('viewer' in copy.reading) && !('tools' in copy.reading)) strip(copy.reading)
  }
  return copy
}
