/**
 * The viewer state a shared link saves (the seed's hanging protocols): layout, per viewport its plane, zoom/pan,
 * crosshair and items (files by their path inside the project, in overlay order, with their viewbar settings), and
 * the ROIs and marker sets by their path. Pure: the browser builds it (web/viewer/share) and the server validates it
 * here before it is stored; the server then proves each path inside the project (shared-links-service.ts).
 */

export const SHARED_STATE_VERSION = 1
export const LAYOUTS = ['1', '2', '3', '4', 'three-plane'] as const
export const ROLES = ['background', 'overlay', 'mask', 'fibers', 'surface'] as const
/** The largest state taken (JSON bytes). */
export const MAX_STATE_BYTES = 256 * 1024

export interface SharedItem {
  /** Path inside the project: PID/SID/folder/file. */
  path: string
  name: string
  role: (typeof ROLES)[number]
  colormap: string
  opacity: number
  min: number
  max: number
  outline: boolean
  hidden: boolean
}

export interface SharedViewport {
  /** 1-4. */
  index: number
  /** NiiVue's slice type (0 axial, 1 coronal, 2 sagittal, 3 multiplanar, 4 render). */
  plane: number
  /** NiiVue's pan2Dxyzmm: x, y, z (mm) and zoom. */
  pan: [number, number, number, number]
  /** The crosshair in world mm, when the viewport shows a volume. */
  crosshair?: [number, number, number]
  items: SharedItem[]
}

export interface SharedRoi {
  /** The saved ROI: PID/SID/rois/NAME.nii.gz. */
  path: string
  /** Its reference image: a path inside the project. */
  reference: string
  name: string
  colormap: string
  opacity: number
  outline: boolean
  visible: boolean
}

export interface SharedMarkers {
  /** The saved set: PID/SID/annotations/NAME.json. */
  path: string
}

export interface SharedState {
  version: typeof SHARED_STATE_VERSION
  layout: (typeof LAYOUTS)[number]
  mosaic: boolean
  /** The active viewport (1-based). */
  active: number
  viewports: SharedViewport[]
  rois: SharedRoi[]
  markers: SharedMarkers[]
}

/** What was wrong with a state: the field (`viewports[1].items[0].path`) and why. */
export class SharedStateError extends Error {
  constructor(readonly field: string, why: string) {
    super(`shared state: ${field} ${why}`)
  }
}

/** Why `path` cannot name a file inside a project (lexically), or undefined. The server proves the rest on disk. */
export function projectPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty'
  if (path.length > 1024) return 'is longer than 1024 characters'
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is absolute; name a path inside the project (PATIENT/STUDY/...)'
  if (path.includes('\\')) return 'contains a backslash'
  // eslint-disable-next-line no-control-regex
  if (/[\0-\x1f\x7f]/.test(path)) return 'contains a NUL or control character'
  for (const seg of path.split('/')) {
    if (seg === '') return 'has an empty segment ("//" or a trailing "/")'
    if (seg === '.' || seg === '..') return `has a "${seg}" segment; name the file by its path inside the project`
  }
  return undefined
}

type Obj = Record<string, unknown>

function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SharedStateError(field, 'must be an object')
  return v as Obj
}

function list(v: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(v)) throw new SharedStateError(field, 'must be a list')
  if (v.length > max) throw new SharedStateError(field, `has ${v.length} entries; at most ${max} are taken`)
  return v
}

function num(v: unknown, field: string, min = -1e12, max = 1e12): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new SharedStateError(field, `must be a number from ${min} to ${max}`)
  return v
}

function int(v: unknown, field: string, min: number, max: number): number {
  const n = num(v, field, min, max)
  if (!Number.isInteger(n)) throw new SharedStateError(field, `must be a whole number from ${min} to ${max}`)
  return n
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new SharedStateError(field, 'must be true or false')
  return v
}

function text(v: unknown, field: string, max = 255): string {
  if (typeof v !== 'string' || v.length > max) throw new SharedStateError(field, `must be a text of at most ${max} characters`)
  // eslint-disable-next-line no-control-regex
  if (/[\0-\x1f\x7f]/.test(v)) throw new SharedStateError(field, 'must not contain control characters')
  return v
}

function oneOf<T extends string>(v: unknown, field: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !values.includes(v as T)) throw new SharedStateError(field, `must be one of ${values.join(', ')}`)
  return v as T
}

export function projectPath(v: unknown, field: string): string {
  const p = text(v, field, 1024)
  const problem = projectPathProblem(p)
  if (problem) throw new SharedStateError(field, problem)
  return p
}

const colormap = (v: unknown, field: string) => {
  const c = text(v, field, 40)
  if (!/^[A-Za-z0-9_-]+$/.test(c)) throw new SharedStateError(field, 'must be a colormap name (letters, digits, _ and -)')
  return c
}

function triple(v: unknown, field: string): [number, number, number] {
  const a = list(v, field, 3)
  if (a.length !== 3) throw new SharedStateError(field, 'must be 3 numbers')
  return a.map((x, i) => num(x, `${field}[${i}]`)) as [number, number, number]
}

function item(v: unknown, field: string): SharedItem {
  const o = obj(v, field)
  return {
    path: projectPath(o.path, `${field}.path`),
    name: text(o.name, `${field}.name`),
    role: oneOf(o.role, `${field}.role`, ROLES),
    colormap: colormap(o.colormap, `${field}.colormap`),
    opacity: num(o.opacity, `${field}.opacity`, 0, 1),
    min: num(o.min, `${field}.min`),
    max: num(o.max, `${field}.max`),
    outline: bool(o.outline, `${field}.outline`),
    hidden: bool(o.hidden, `${field}.hidden`),
  }
}

function viewport(v: unknown, field: string): SharedViewport {
  const o = obj(v, field)
  const pan = list(o.pan, `${field}.pan`, 4)
  if (pan.length !== 4) throw new SharedStateError(`${field}.pan`, 'must be 4 numbers (x, y, z, zoom)')
  return {
    index: int(o.index, `${field}.index`, 1, 4),
    plane: int(o.plane, `${field}.plane`, 0, 4),
    pan: pan.map((x, i) => num(x, `${field}.pan[${i}]`, i === 3 ? 0.01 : -1e6, i === 3 ? 100 : 1e6)) as SharedViewport['pan'],
    ...(o.crosshair === undefined ? {} : { crosshair: triple(o.crosshair, `${field}.crosshair`) }),
    items: list(o.items, `${field}.items`, 16).map((x, i) => item(x, `${field}.items[${i}]`)),
  }
}

function roi(v: unknown, field: string): SharedRoi {
  const o = obj(v, field)
  return {
    path: projectPath(o.path, `${field}.path`),
    reference: projectPath(o.reference, `${field}.reference`),
    name: text(o.name, `${field}.name`),
    colormap: colormap(o.colormap, `${field}.colormap`),
    opacity: num(o.opacity, `${field}.opacity`, 0, 1),
    outline: bool(o.outline, `${field}.outline`),
    visible: bool(o.visible, `${field}.visible`),
  }
}

/** A state from outside (a request body, the database), checked field by field; unknown fields are dropped. */
export function parseSharedState(v: unknown): SharedState {
  const o = obj(v, 'state')
  if (o.version !== SHARED_STATE_VERSION) throw new SharedStateError('version', `must be ${SHARED_STATE_VERSION}`)
  const viewports = list(o.viewports, 'viewports', 4).map((x, i) => viewport(x, `viewports[${i}]`))
  const seen = new Set<number>()
  for (const [i, vp] of viewports.entries()) {
    if (seen.has(vp.index)) throw new SharedStateError(`viewports[${i}].index`, `repeats viewport ${vp.index}`)
    seen.add(vp.index)
  }
  return {
    version: SHARED_STATE_VERSION,
    layout: oneOf(o.layout, 'layout', LAYOUTS),
    mosaic: bool(o.mosaic, 'mosaic'),
    active: int(o.active, 'active', 1, 4),
    viewports,
    rois: list(o.rois, 'rois', 64).map((x, i) => roi(x, `rois[${i}]`)),
    markers: list(o.markers, 'markers', 64).map((x, i) => ({ path: projectPath(obj(x, `markers[${i}]`).path, `markers[${i}].path`) })),
  }
}

/** Every project path a state names (files, ROIs and their references, marker sets), each once. */
export function pathsOf(s: SharedState): string[] {
  const out = new Set<string>()
  for (const vp of s.viewports) for (const it of vp.items) out.add(it.path)
  for (const r of s.rois) {
    out.add(r.path)
    out.add(r.reference)
  }
  for (const m of s.markers) out.add(m.path)
  return [...out]
}
