// nora markers to-slicer | from-slicer with ./nora: files on disk (the written .mrk.json holds Slicer's schema's
// required fields and LPS positions; the round trip is equal; Slicer's documented example reads as RAS), and (-p)
// archive paths under the caller's rights with outputs registered ('annotations/*' finds them).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensureBinary } from '../../helpers/nora-binary'
import { formatPointSet, parsePointSet, type PointSet } from '../../../src/markers'
import { validate } from '../../unit/markers/json-schema-check'
import { cliHome, type CliHome } from './cli-harness'

const FIX = join(import.meta.dir, '../../unit/markers/fixtures')
const spawns = (n: number) => Math.max(60_000, n * 15_000)

const set: PointSet = {
  kind: 'freeline',
  name: 'tract waypoints',
  reference: 'P1/S1/anat/t1.nii.gz',
  points: [
    { label: 'start', position: [10.5, -20.25, 30] },
    { label: 'mid', position: [-0.001, 0, 12.75] },
  ],
}

describe('nora markers', () => {
  let h: CliHome
  let dir: string
  const f = (name: string) => join(dir, name)

  beforeAll(async () => {
    await ensureBinary()
    h = await cliHome('sqlite')
    dir = join(h.home, 'files')
    mkdirSync(dir)
    writeFileSync(f('set.json'), formatPointSet(set))
  }, 900_000)

  afterAll(async () => {
    await h?.close()
  })

  test('to-slicer writes schema-valid LPS markups; from-slicer reads them back equal', async () => {
    const r = await h.nora(['markers', 'to-slicer', f('set.json'), '--out', f('set.mrk.json')])
    expect(r.code, r.stderr).toBe(0)
    const doc = JSON.parse(readFileSync(f('set.mrk.json'), 'utf8'))
    expect(validate(JSON.parse(readFileSync(join(FIX, 'markups-schema-v1.0.3.json'), 'utf8')), doc)).toEqual([])
    expect(doc.markups[0]).toMatchObject({ type: 'Curve', coordinateSystem: 'LPS' })
    expect(doc.markups[0].controlPoints[0].position).toEqual([-10.5, 20.25, 30])
    const back = await h.nora(['markers', 'from-slicer', f('set.mrk.json'), '--out', f('back.json')])
    expect(back.code, back.stderr).toBe(0)
    expect(parsePointSet(readFileSync(f('back.json'), 'utf8'))).toEqual(set)
    const docs = await h.nora(['markers', 'from-slicer', join(FIX, 'slicer-docs-example.mrk.json'), '--out', f('docs.json')])
    expect(docs.code, docs.stderr).toBe(0)
    expect(parsePointSet(readFileSync(f('docs.json'), 'utf8')).points[0]!.position).toEqual([53.388409961685827, 73.33572796934868, 0])
    const wrong = await h.nora(['markers', 'from-slicer', f('set.json'), '--out', f('x.json')])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/no Slicer markups "@schema"/)
    expect((await h.nora(['markers', 'to-slicer', f('set.json'), '--out', f('x.json')])).code).toBe(2)
  }, spawns(5))

  test('-p P: archive paths under the caller\'s rights; outputs registered', async () => {
    expect((await h.init()).result.code).toBe(0)
    expect((await h.nora(['--createproject', 'marks'])).code).toBe(0)
    const folder = join(h.dataRoot, 'projects/marks/P1/S1/annotations')
    mkdirSync(folder, { recursive: true })
    copyFileSync(f('set.json'), join(folder, 'way.json'))
    expect((await h.nora(['-p', 'marks', '--add', join(folder, 'way.json')])).code).toBe(0)
    const r = await h.nora(['-p', 'marks', 'markers', 'to-slicer', 'P1/S1/annotations/way.json', '--out', 'P1/S1/annotations/way.mrk.json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('P1/S1/annotations/way.mrk.json (project marks)')
    const sel = await h.nora(['-p', 'marks', '--select', 'annotations/*'])
    expect(sel.stdout).toContain('annotations/way.mrk.json')
    expect(sel.stdout).toContain('annotations/way.json')
    const out = await h.nora(['-p', 'marks', 'markers', 'to-slicer', '../../../files/set.json', '--out', 'P1/S1/annotations/x.mrk.json'])
    expect(out.code).toBe(1)
    expect((await h.nora(['--admin', 'adduser', 'reader', '--password', 'long enough password 1'])).code).toBe(0)
    expect((await h.nora(['--admin', 'grant', 'reader', 'marks', 'read'])).code).toBe(0)
    const asReader = await h.nora(['-p', 'marks', 'markers', 'from-slicer', 'P1/S1/annotations/way.mrk.json', '--out', 'P1/S1/annotations/reader.json', '--user', 'reader'])
    expect(asReader.code, asReader.stderr).toBe(3)
    expect(existsSync(join(folder, 'reader.json'))).toBe(false)
  }, spawns(10))
})
