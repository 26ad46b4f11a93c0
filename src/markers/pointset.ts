/**
 * A marker set as nora keeps it: named points in world coordinates (RAS+, mm, the NIfTI sform/qform space NiiVue
 * shows), the image they were placed on (its project path), a label per point. A `pointset` is a set of landmarks; a
 * `freeline` is an ordered polyline (waypoints). The file (`annotations/NAME.json`) is this object as JSON:
 *
 *   { "format": "nora-markers", "version": 1, "type": "pointset" | "freeline", "name": "...",
 *     "space": "RAS", "units": "mm", "reference": "PID/SID/FOLDER/IMAGE.nii.gz",
 *     "points": [ { "label": "p1", "position": [x, y, z] }, ... ] }
 */
import { MarkersError } from './markers-error'

export const MARKER_KINDS = ['pointset', 'freeline'] as const
export type MarkerKind = (typeof MARKER_KINDS)[number]

export type Vec3 = [number, number, number]

export interface MarkerPoint {
  label: string
  /** World position, RAS+ mm. */
  position: Vec3
}

export interface PointSet {
  kind: MarkerKind
  name: string
  /** The image the points were placed on, as a project path (PID/SID/FOLDER/FILE); empty when unknown. */
  reference: string
  points: MarkerPoint[]
}

export const FORMAT = 'nora-markers'
export const VERSION = 1
/** Upper bound of points a set may hold (a file of them stays well under a megabyte a 10k points). */
export const MAX_POINTS = 100_000
const MAX_TEXT = 1000

/** The file's JSON object for a set. */
export function pointSetJson(set: PointSet): Record<string, unknown> {
  checkPointSet(set)
  return {
    format: FORMAT,
    version: VERSION,
    type: set.kind,
    name: set.name,
    space: 'RAS',
    units: 'mm',
    reference: set.reference,
    points: set.points.map((p) => ({ label: p.label, position: [...p.position] })),
  }
}

/** The file's text (pretty-printed, a newline at the end). */
export function formatPointSet(set: PointSet): string {
  return `${JSON.stringify(pointSetJson(set), null, 2)}\n`
}

/** Reads a nora marker file's text; `source` names it in errors. */
export function parsePointSet(text: string, source = 'markers'): PointSet {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new MarkersError(`${source}: not JSON (${(e as Error).message})`)
  }
  return pointSetFromJson(raw, source)
}

/** A set from the file's parsed JSON, every field checked. */
export function pointSetFromJson(raw: unknown, source = 'markers'): PointSet {
  const o = object(raw, source)
  if (o.format !== FORMAT) throw new MarkersError(`${source}: "format" must be "${FORMAT}" (a Slicer .mrk.json is read with nora markers from-slicer)`)
  if (o.version !== VERSION) throw new MarkersError(`${source}: version ${JSON.stringify(o.version)} is not supported (this nora reads version ${VERSION})`)
  if ((o.space ?? 'RAS') !== 'RAS') throw new MarkersError(`${source}: "space" must be "RAS"`)
  if ((o.units ?? 'mm') !== 'mm') throw new MarkersError(`${source}: "units" must be "mm"`)
  if (!Array.isArray(o.points)) throw new MarkersError(`${source}: "points" must be an array`)
  const set: PointSet = {
    kind: kind(o.type, source),
    name: text(o.name, `${source}: "name"`),
    reference: o.reference === undefined ? '' : text(o.reference, `${source}: "reference"`),
    points: o.points.map((p, i) => {
      const q = object(p, `${source}: point ${i + 1}`)
      return { label: q.label === undefined ? '' : text(q.label, `${source}: point ${i + 1} "label"`), position: vec3(q.position, `${source}: point ${i + 1} "position"`) }
    }),
  }
  checkPointSet(set, source)
  return set
}

/** Throws when a set breaks the format's limits (used before writing, and after reading). */
export function checkPointSet(set: PointSet, source = 'markers'): void {
  if (!MARKER_KINDS.includes(set.kind)) throw new MarkersError(`${source}: type ${JSON.stringify(set.kind)}: expected ${MARKER_KINDS.join(' or ')}`)
  if (set.points.length > MAX_POINTS) throw new MarkersError(`${source}: ${set.points.length} points; at most ${MAX_POINTS}`)
  text(set.name, `${source}: "name"`)
  text(set.reference, `${source}: "reference"`)
  set.points.forEach((p, i) => {
    text(p.label, `${source}: point ${i + 1} "label"`)
    vec3(p.position, `${source}: point ${i + 1} "position"`)
  })
}

/** A label for the next point of a set: "p<N>" with N one past the highest used. */
export function nextLabel(set: PointSet): string {
  let n = 0
  for (const p of set.points) {
    const m = /^p(\d+)$/.exec(p.label)
    if (m) n = Math.max(n, Number(m[1]))
  }
  return `p${Math.max(n, set.points.length) + 1}`
}

export function kind(v: unknown, source: string): MarkerKind {
  if (typeof v === 'string' && (MARKER_KINDS as readonly string[]).includes(v)) return v as MarkerKind
  throw new MarkersError(`${source}: "type" ${JSON.stringify(v)}: expected ${MARKER_KINDS.map((k) => `"${k}"`).join(' or ')}`)
}

export function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MarkersError(`${what}: expected a JSON object`)
  return v as Record<string, unknown>
}

export function text(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new MarkersError(`${what}: expected a string`)
  if (v.length > MAX_TEXT) throw new MarkersError(`${what}: ${v.length} characters; at most ${MAX_TEXT}`)
  return v
}

export function vec3(v: unknown, what: string): Vec3 {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
    throw new MarkersError(`${what}: expected three finite numbers [x, y, z]`)
  return [v[0], v[1], v[2]]
}
