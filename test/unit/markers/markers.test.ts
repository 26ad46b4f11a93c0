import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatPointSet, formatSlicer, fromSlicer, MarkersError, nextLabel, parsePointSet, parseSlicer, type PointSet, toSlicer } from '../../../src/markers'
import { validate } from './json-schema-check'

const FIX = join(import.meta.dir, 'fixtures')
const schema = JSON.parse(readFileSync(join(FIX, 'markups-schema-v1.0.3.json'), 'utf8'))

const set: PointSet = {
  kind: 'pointset',
  name: 'landmarks',
  reference: 'P1/S1/nifti/t1.nii.gz',
  points: [
    { label: 'AC', position: [0.5, -1.25, 3] },
    { label: 'PC', position: [-12.3456789, 24.000001, -7.5] },
    { label: 'p3', position: [100, 0, -0.001] },
  ],
}

describe('nora marker file', () => {
  test('written and read back equal', () => {
    const text = formatPointSet(set)
    expect(JSON.parse(text)).toMatchObject({ format: 'nora-markers', version: 1, type: 'pointset', space: 'RAS', units: 'mm' })
    expect(parsePointSet(text)).toEqual(set)
  })

  test('bad files are refused with what is wrong', () => {
    const bad = (o: unknown) => () => parsePointSet(JSON.stringify(o), 'f.json')
    const good = JSON.parse(formatPointSet(set))
    expect(() => parsePointSet('{', 'f.json')).toThrow(/f.json: not JSON/)
    expect(bad({ ...good, format: 'x' })).toThrow(/"format" must be "nora-markers"/)
    expect(bad({ ...good, version: 2 })).toThrow(/version 2 is not supported/)
    expect(bad({ ...good, type: 'cloud' })).toThrow(/"type" "cloud"/)
    expect(bad({ ...good, space: 'LPS' })).toThrow(/"space" must be "RAS"/)
    expect(bad({ ...good, points: [{ label: 'a', position: [1, 2] }] })).toThrow(/point 1 "position": expected three finite numbers/)
    expect(bad({ ...good, points: [{ label: 'a', position: [1, 2, null] }] })).toThrow(MarkersError)
    expect(bad({ ...good, name: 'x'.repeat(1001) })).toThrow(/at most 1000/)
  })

  test('next label counts past the highest p<N>', () => {
    expect(nextLabel({ ...set, points: [] })).toBe('p1')
    expect(nextLabel(set)).toBe('p4')
    expect(nextLabel({ ...set, points: [{ label: 'p9', position: [0, 0, 0] }] })).toBe('p10')
  })
})

describe('Slicer markups (.mrk.json)', () => {
  test('the exporter writes what Slicer\'s published schema v1.0.3 accepts', () => {
    for (const s of [set, { ...set, kind: 'freeline' as const }, { ...set, points: [] }]) {
      const doc = JSON.parse(formatSlicer(s))
      expect(validate(schema, doc)).toEqual([])
      expect(doc.markups[0].type).toBe(s.kind === 'pointset' ? 'Fiducial' : 'Curve')
    }
  })

  test('the checker does catch what the schema forbids', () => {
    const doc = toSlicer(set) as { markups: Record<string, unknown>[] }
    expect(validate(schema, { markups: [] })).toContain('$: required @schema missing')
    expect(validate(schema, { ...doc, markups: [{ ...doc.markups[0], coordinateSystem: 'XYZ' }] }).length).toBeGreaterThan(0)
    expect(validate(schema, { ...doc, markups: [{ ...doc.markups[0], controlPoints: [{ position: [1, 2] }] }] }).length).toBeGreaterThan(0)
  })

  test('positions are LPS in the file: x and y negated, z kept', () => {
    const doc = toSlicer(set) as { markups: { coordinateSystem: string; controlPoints: { position: number[] }[] }[] }
    expect(doc.markups[0]!.coordinateSystem).toBe('LPS')
    expect(doc.markups[0]!.controlPoints.map((c) => c.position)).toEqual([
      [-0.5, 1.25, 3],
      [12.3456789, -24.000001, -7.5],
      [-100, 0, -0.001],
    ])
  })

  test('round trip nora -> Slicer -> nora is equal', () => {
    expect(parseSlicer(formatSlicer(set))).toEqual([set])
    const line = { ...set, kind: 'freeline' as const }
    expect(parseSlicer(formatSlicer(line))).toEqual([line])
  })

  test('the example file of Slicer\'s documentation (LPS) reads as RAS', () => {
    const [s] = parseSlicer(readFileSync(join(FIX, 'slicer-docs-example.mrk.json'), 'utf8'))
    expect(s!.kind).toBe('pointset')
    expect(s!.points).toEqual([
      { label: 'F-1', position: [53.388409961685827, 73.33572796934868, 0] },
      { label: 'F-2', position: [-49.8682950191571, 88.58955938697324, 0] },
      { label: 'F-3', position: [25.22749042145594, -59.255268199233729, 0] },
    ])
  })

  test('RAS files, micrometres, undefined points and other markup types', () => {
    const doc = {
      '@schema': 'https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/Resources/Schema/markups-schema-v1.0.3.json#',
      markups: [
        { type: 'Plane', controlPoints: [] },
        {
          type: 'Fiducial',
          name: 'F',
          coordinateSystem: 'RAS',
          coordinateUnits: 'um',
          controlPoints: [
            { label: 'a', position: [1000, -2000, 500] },
            { label: 'b', positionStatus: 'undefined' },
          ],
        },
      ],
    }
    expect(validate(schema, doc)).toEqual([])
    expect(fromSlicer(doc)).toEqual([{ kind: 'pointset', name: 'F', reference: '', points: [{ label: 'a', position: [1, -2, 0.5] }] }])
    expect(() => fromSlicer({ ...doc, markups: [{ type: 'ROI' }] }, 'x.mrk.json')).toThrow(/x.mrk.json: no point list or curve/)
    expect(() => fromSlicer({ markups: [] }, 'x.mrk.json')).toThrow(/no Slicer markups "@schema"/)
  })
})
