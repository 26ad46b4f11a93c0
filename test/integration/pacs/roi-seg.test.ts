import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { python } from '../../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'
import { ellipsoidMask, obliqueCtSeries } from '../../helpers/seg-fixtures'
import { startOrthanc, type Orthanc } from '../../services/orthanc'

/**
 * `nora roi seg` end to end with the built ./nora: an oblique CT series (pydicom) imported by `nora --import`, an
 * ellipsoid ROI drawn by nibabel on the converted NIfTI and registered with its sidecar, exported as a DICOM SEG
 * (dciodvfy: no errors; pydicom: references the imported series, one frame per slice the ROI touches) and pushed to
 * a real Orthanc, which must then hold it as a SEG instance of the same study. Hostile ROI paths are refused.
 */
describe('nora roi seg: a saved ROI as DICOM SEG, to a file and to a real Orthanc', () => {
  let home: TestHome
  let orthanc: Orthanc
  let series: string
  let roi: string
  let study: string
  const run = (args: string[]) => runNora(args, { home: home.home, timeoutMs: 120_000 })

  beforeAll(async () => {
    home = makeHome()
    orthanc = await startOrthanc({ nora: ['NORA', '127.0.0.1', home.dicomPort] })
    expect((await run(['init'])).code).toBe(0)
    writeFileSync(join(home.home, 'conf/pacs.conf'), `{ nodes: { clinic: { aet: "ORTHANC", host: "127.0.0.1", port: ${orthanc.dicomPort} } } }`)
    expect((await run(['--createproject', 'segp'])).code).toBe(0)
    const src = join(home.home, 'src')
    mkdirSync(src)
    series = obliqueCtSeries(src)
    const imported = await run(['-p', 'segp', '--import', src])
    expect(imported.code, imported.stdout + imported.stderr).toBe(0)
    // The converted image and its study folder, as the archive lays them out: PID/SID/FOLDER/FILE.nii.
    const root = join(home.home, 'data', 'projects', 'segp')
    const nifti = (readdirSync(root, { recursive: true }) as string[]).find((f) => /\.nii(\.gz)?$/.test(f))!
    expect(nifti).toBeDefined()
    const [pid, sid, folder, file] = nifti.split('/') as [string, string, string, string]
    study = `${pid}/${sid}`
    mkdirSync(join(root, pid, sid, 'rois'))
    roi = `${study}/rois/lesion.nii.gz`
    ellipsoidMask(join(root, nifti), join(root, roi))
    writeFileSync(join(root, pid, sid, 'rois', 'lesion.json'), JSON.stringify({ reference: `${folder}/${file}`, tool: 'test' }))
    const added = await run(['-p', 'segp', '-a', join(root, roi), join(root, study, 'rois', 'lesion.json')])
    expect(added.code, added.stdout + added.stderr).toBe(0)
    expect(relative(root, join(root, roi))).toBe(roi)
  }, 180_000)

  afterAll(async () => {
    await orthanc?.stop()
    home?.cleanup()
  }, 30_000)

  test('--out writes a SEG that passes dciodvfy and references the imported series, one frame per touched slice', async () => {
    const out = join(home.home, 'lesion.seg.dcm')
    const r = await run(['-p', 'segp', 'roi', 'seg', roi, '--out', out])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toMatch(/SEG [0-9.]+, \d+ frames/)
    const check = Bun.spawnSync(['dciodvfy', '-new', out], { stdout: 'pipe', stderr: 'pipe' })
    const text = check.stdout.toString() + check.stderr.toString()
    expect(text.split('\n').filter((l) => l.startsWith('Error')), text).toEqual([])
    const seg = JSON.parse(
      python(
        `import sys, json, pydicom
d = pydicom.dcmread(sys.argv[1])
print(json.dumps({'modality': d.Modality, 'series': d.ReferencedSeriesSequence[0].SeriesInstanceUID, 'frames': int(d.NumberOfFrames), 'refs': len(d.ReferencedSeriesSequence[0].ReferencedInstanceSequence), 'label': d.SegmentSequence[0].SegmentLabel, 'set': int(d.pixel_array.sum())}))`,
        [out],
      ),
    ) as { modality: string; series: string; frames: number; refs: number; label: string; set: number }
    expect(seg).toMatchObject({ modality: 'SEG', series, refs: 14, label: 'lesion' })
    expect(seg.frames).toBeGreaterThan(3)
    expect(seg.frames).toBeLessThan(14) // the ellipsoid spans the middle slices only
    expect(seg.set).toBeGreaterThan(100)
  }, 120_000)

  test('--push sends it to Orthanc, which files it as a SEG of the same study', async () => {
    const r = await run(['-p', 'segp', 'roi', 'seg', roi, '--push', 'clinic', '--label', 'tumour'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toContain('stored')
    const instances = (await (await fetch(`${orthanc.url}instances?expand`)).json()) as { ID: string; MainDicomTags: { SOPInstanceUID: string } }[]
    expect(instances.length).toBe(1)
    const tags = (await (await fetch(`${orthanc.url}instances/${instances[0]!.ID}/simplified-tags`)).json()) as Record<string, unknown>
    expect(tags.Modality).toBe('SEG')
    expect(tags.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.66.4')
    expect((tags.SegmentSequence as { SegmentLabel: string }[])[0]!.SegmentLabel).toBe('tumour')
  }, 120_000)

  test('hostile or wrong ROI paths are refused with the reason; nothing is written', async () => {
    const out = join(home.home, 'evil.dcm')
    for (const bad of ['../../../etc/passwd', `${study}/../../../../etc/passwd`, '/etc/passwd']) {
      const r = await run(['-p', 'segp', 'roi', 'seg', bad, '--out', out])
      expect(r.code, bad).not.toBe(0)
      expect(r.stderr, bad).toMatch(/outside|segment "\.\."|does not exist|must lie/i)
    }
    const missing = await run(['-p', 'segp', 'roi', 'seg', `${study}/rois/none.nii.gz`, '--out', out])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('does not exist')
    expect(existsSync(out)).toBe(false)
  }, 120_000)
})
