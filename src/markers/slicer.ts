/**
 * 3D Slicer markups files (.mrk.json, schema v1.0.3) to and from nora's pointsets. Slicer writes positions in LPS
 * by default (coordinateSystem "LPS"; older files "RAS"): LPS -> RAS negates x and y, exactly. A pointset is a
 * "Fiducial" markup (point list), a freeline an open "Curve". Slicer keeps no image path, so the reference travels in
 * an extra property of the markup, `"nora": { "reference": ... }`, which Slicer's schema allows and ignores.
 */
import { MarkersError } from './markers-error'
import { checkPointSet, object, text, vec3, type MarkerKind, type PointSet, type Vec3 } from './pointset'

export const SLICER_SCHEMA = 'https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/Resources/Schema/markups-schema-v1.0.3.json#'

const SLICER_TYPE: Record<MarkerKind, string> = { pointset: 'Fiducial', freeline: 'Curve' }
const KIND_OF: Record<string, MarkerKind> = { Fiducial: 'pointset', Curve: 'freeline', ClosedCurve: 'freeline', Line: 'freeline' }

/** RAS <-> LPS: the same map both ways (x and y negate). `+ 0` keeps -0 out of the files. */
export const flipXY = (p: readonly number[]): Vec3 => [-p[0]! + 0, -p[1]! + 0, p[2]! + 0]

/** A Slicer markups document (one markup) for a set, positions in LPS as Slicer writes them. */
export function toSlicer(set: PointSet): Record<string, unknown> {
  checkPointSet(set)
  return {
    '@schema': SLICER_SCHEMA,
    markups: [
      {
        type: SLICER_TYPE[set.kind],
        name: set.name,
        coordinateSystem: 'LPS',
        coordinateUnits: 'mm',
        locked: false,
        fixedNumberOfControlPoints: false,
        labelFormat: '%N-%d',
        lastUsedControlPointNumber: set.points.length,
        controlPoints: set.points.map((p, i) => ({
          id: String(i + 1),
          label: p.label,
          description: '',
          associatedNodeID: '',
          position: flipXY(p.position),
          orientation: [-1, 0, 0, 0, -1, 0, 0, 0, 1],
          selected: true,
          locked: false,
          visibility: true,
          positionStatus: 'defined',
        })),
        nora: { reference: set.reference },
      },
    ],
  }
}

/** The text of a .mrk.json for a set. */
export function formatSlicer(set: PointSet): string {
  return `${JSON.stringify(toSlicer(set), null, 4)}\n`
}

/**
 * The point-like markups of a Slicer document (Fiducial, Curve, ClosedCurve, Line) as sets in RAS mm; control points
 * without a defined position (positionStatus "undefined") are left out. Other markup types (planes, ROIs, angles)
 * are skipped; a file with none of the point-like ones is an error.
 */
export function fromSlicer(raw: unknown, source = 'markups'): PointSet[] {
  const doc = object(raw, source)
  if (typeof doc['@schema'] !== 'string' || !/markups-schema-v1\.\d+\.\d+\.json/.test(doc['@schema']))
    throw new MarkersError(`${source}: no Slicer markups "@schema" (expected .../markups-schema-v1.x.y.json)`)
  if (!Array.isArray(doc.markups)) throw new MarkersError(`${source}: "markups" must be an array`)
  const sets: PointSet[] = []
  doc.markups.forEach((m, i) => {
    const where = `${source}: markup ${i + 1}`
    const markup = object(m, where)
    const kind = KIND_OF[String(markup.type)]
    if (!kind) return
    const system = markup.coordinateSystem ?? 'LPS'
    if (system !== 'LPS' && system !== 'RAS') throw new MarkersError(`${where}: coordinateSystem ${JSON.stringify(system)}: expected "LPS" or "RAS"`)
    const scale = unitScale(markup.coordinateUnits, where)
    const points = markup.controlPoints ?? []
    if (!Array.isArray(points)) throw new MarkersError(`${where}: "controlPoints" must be an array`)
    const extra = markup.nora === undefined ? {} : object(markup.nora, `${where} "nora"`)
    sets.push({
      kind,
      name: markup.name === undefined ? `markup ${i + 1}` : text(markup.name, `${where} "name"`),
      reference: extra.reference === undefined ? '' : text(extra.reference, `${where} nora.reference`),
      points: points.flatMap((c, j) => {
        const cp = object(c, `${where} control point ${j + 1}`)
        if (cp.positionStatus === 'undefined' || cp.position === undefined) return []
        const at = vec3(cp.position, `${where} control point ${j + 1} "position"`).map((x) => x * scale)
        return [{ label: cp.label === undefined ? '' : text(cp.label, `${where} control point ${j + 1} "label"`), position: system === 'LPS' ? flipXY(at) : (at as Vec3) }]
      }),
    })
  })
  if (!sets.length) throw new MarkersError(`${source}: no point list or curve among its ${doc.markups.length} markups`)
  sets.forEach((s) => checkPointSet(s, source))
  return sets
}

/** Reads a .mrk.json's text. */
export function parseSlicer(textOf: string, source = 'markups'): PointSet[] {
  let raw: unknown
  try {
    raw = JSON.parse(textOf)
  } catch (e) {
    throw new MarkersError(`${source}: not JSON (${(e as Error).message})`)
  }
  return fromSlicer(raw, source)
}

/** Millimetres per unit of coordinateUnits ("mm", "um", or the DICOM code triple [code, scheme, meaning]). */
function unitScale(units: unknown, where: string): number {
  const code = Array.isArray(units) ? units[0] : (units ?? 'mm')
  if (code === 'mm') return 1
  if (code === 'um') return 0.001
  throw new MarkersError(`${where}: coordinateUnits ${JSON.stringify(units)}: expected "mm" or "um"`)
}
