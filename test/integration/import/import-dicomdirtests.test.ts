import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DICOMDIRTESTS, niftiSummaries, zipOf } from '../../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'

// pydicom's dicomdirtests: 3 patients, 7 studies, 14 series, 81 instances (pydicom's README and count).
// Reference NIfTIs come from Debian's native dcm2niix, compared through nibabel.
describe('nora --import of pydicom dicomdirtests', () => {
  let home: TestHome
  let zip: string
  let first: Awaited<ReturnType<typeof runNora>>

  beforeAll(async () => {
    home = makeHome()
    zip = zipOf(DICOMDIRTESTS, 'dicomdirtests.zip')
    expect((await runNora(['init'], { home: home.home })).code).toBe(0)
    expect((await runNora(['--createproject', 'demo'], { home: home.home })).code).toBe(0)
    first = await runNora(['-p', 'demo', '--import', zip], { home: home.home, timeoutMs: 120_000 })
  }, 180_000)
  afterAll(() => home.cleanup())

  test('sorts into 3 patients, 7 studies, 14 series with 81 instances', () => {
    expect(first.stdout).toContain('3 patients, 7 studies, 14 series')
    expect(first.stdout).toContain('81 instances')
  })

  test('reports what it skipped and the series dcm2niix cannot convert, and exits non-zero for it', () => {
    // TINY_ALPHA's 50 instances have no convertible pixel data: native dcm2niix makes no NIfTI either.
    expect(first.stderr).toContain('TINY_ALPHA')
    expect(first.stderr).toMatch(/DICOMDIR index/)
    expect(first.stderr).toMatch(/kept as DICOM only/)
    expect(first.code).toBe(1)
  })

  test('the NIfTIs equal native dcm2niix output voxel for voxel (nibabel)', async () => {
    const ref = mkdtempSync(join(tmpdir(), 'nora-ref-'))
    const r = Bun.spawnSync(['dcm2niix', '-b', 'y', '-z', 'n', '-f', '%s_%p_%t', '-o', ref, DICOMDIRTESTS], { stdout: 'pipe', stderr: 'pipe' })
    expect(r.exitCode === 0 || r.exitCode === 2).toBe(true) // 2: some input had no images (TINY_ALPHA)
    const expected = niftiSummaries(ref)
    const ours = niftiSummaries(join(home.home, 'data/projects/demo'))
    expect(expected.length).toBeGreaterThanOrEqual(24) // 24 with Debian's v1.0.20220720 (the WASM build makes 25)
    expect(ours.length).toBe(expected.length)
    const key = (s: { shape: number[]; sha: string }) => `${s.shape.join('x')}:${s.sha}`
    const refByKey = new Map(expected.map((s) => [key(s), s]))
    for (const s of ours) {
      const twin = refByKey.get(key(s))
      expect(twin, `no native twin with equal voxels for ${s.file}`).toBeDefined()
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(Math.abs(s.affine[i]![j]! - twin!.affine[i]![j]!)).toBeLessThan(1e-4)
    }
  })

  test('names series <Protocol or SeriesDescription>/s<SeriesNumber:3>.nii with the JSON sidecar beside', async () => {
    const sel = await runNora(['-p', 'demo', '--select', '*/s0__.nii', '--json'], { home: home.home })
    const files = JSON.parse(sel.stdout) as { patients_id: string; filename: string; absolute: string }[]
    expect(files.length).toBeGreaterThan(5)
    for (const f of files) {
      expect(f.filename).toMatch(/^[\w.-]+\/s\d{3}\.nii$/)
      expect(existsSync(f.absolute.replace(/\.nii$/, '.json'))).toBe(true)
    }
    expect(new Set(files.map((f) => f.patients_id))).toEqual(new Set(['77654033', '98890234']))
  }, 60_000)

  test('importing the same instances again changes nothing', async () => {
    const before = (await runNora(['--sql', 'SELECT COUNT(*) AS n FROM files'], { home: home.home })).stdout
    const again = await runNora(['-p', 'demo', '--import', DICOMDIRTESTS], { home: home.home, timeoutMs: 120_000 })
    expect(again.stdout).toContain('0 series (14 unchanged)')
    expect((await runNora(['--sql', 'SELECT COUNT(*) AS n FROM files'], { home: home.home })).stdout).toBe(before)
  }, 60_000)

  test('keeps the original DICOM, compressed, beside each study', () => {
    const study = join(home.home, 'data/projects/demo/77654033')
    const bundles = readdirSync(study).flatMap((sid) => (existsSync(join(study, sid, 'dicom')) ? readdirSync(join(study, sid, 'dicom')) : []))
    expect(bundles.length).toBeGreaterThan(0)
    expect(bundles.every((b) => b.endsWith('.tar.gz'))).toBe(true)
  })
})
