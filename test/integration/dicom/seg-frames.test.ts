import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { segDataset, writeSeg, DEFAULT_CATEGORY, DEFAULT_TYPE } from '../../../src/dicom/seg/seg-dataset'
import { framesFromMask } from '../../../src/dicom/seg/seg-frames'
import { readSegSource } from '../../../src/dicom/seg/seg-source'
import { python } from '../../helpers/dicom-fixtures'
import { ellipsoidMask, obliqueCtSeries } from '../../helpers/seg-fixtures'

/**
 * The SEG geometry and encoding against independent tools: pydicom writes an oblique, anisotropic source series,
 * dcm2niix converts it (flipping axes as it does), nibabel draws an ellipsoid mask on the NIfTI grid; nora's SEG of
 * that mask must pass dciodvfy (dicom3tools) without errors, and each SEG frame, unpacked by pydicom, must equal what
 * numpy computes by mapping the referenced source image's pixel centres through the NIfTI affine.
 */

const run = (cmd: string[]) => {
  const r = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' })
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() }
}

describe('DICOM SEG from a NIfTI mask (pydicom, dcm2niix, nibabel, dciodvfy as references)', () => {
  let dir: string
  let src: string
  let mask: { dims: [number, number, number]; affine: number[]; data: Uint8Array }
  let segFile: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nora-seg-'))
    src = join(dir, 'src')
    mkdirSync(src)
    obliqueCtSeries(src)
    const conv = run(['dcm2niix', '-z', 'n', '-f', 'ref', '-o', dir, src])
    expect(conv.code, conv.out).toBe(0)
    const meta = ellipsoidMask(join(dir, 'ref.nii'), join(dir, 'mask.raw'))
    mask = { dims: meta.dims, affine: meta.affine.flat(), data: new Uint8Array(readFileSync(join(dir, 'mask.raw'))) }
    expect(meta.voxels).toBeGreaterThan(100)
  }, 120_000)

  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('the SEG passes dciodvfy without errors', () => {
    const series = readSegSource(readdirSync(src).map((f) => join(src, f)))
    const frames = framesFromMask(mask, series.slices)
    const { dataset, sopInstanceUid } = segDataset({
      slices: series.slices,
      frames,
      source: series.source,
      segment: { label: 'lesion <b>&"x"', algorithm: 'MANUAL', category: DEFAULT_CATEGORY, type: DEFAULT_TYPE },
      seriesDescription: 'ROI lesion',
      creator: 'tester',
    })
    segFile = join(dir, 'seg.dcm')
    writeFileSync(segFile, writeSeg(dataset, sopInstanceUid))
    const check = run(['dciodvfy', '-new', segFile])
    const errors = check.out.split('\n').filter((l) => /^Error/.test(l))
    expect(errors, check.out).toEqual([])
    expect(check.out).toMatch(/Segmentation/)
  })

  test('every SEG frame equals the mask sampled by numpy at its source image pixel centres', () => {
    const report = JSON.parse(
      python(
        `import sys, json, glob, numpy as np, pydicom
seg = pydicom.dcmread(sys.argv[1])
src = {d.SOPInstanceUID: d for d in (pydicom.dcmread(f, stop_before_pixels=True) for f in glob.glob(sys.argv[2] + '/*.dcm'))}
aff = np.array(json.loads(sys.argv[3])); dims = json.loads(sys.argv[4])
m = np.frombuffer(open(sys.argv[5], 'rb').read(), dtype=np.uint8).reshape(dims[2], dims[1], dims[0]).transpose(2, 1, 0)
inv = np.linalg.inv(aff)
frames = seg.pixel_array.reshape(int(seg.NumberOfFrames), seg.Rows, seg.Columns)
bad, nonempty = 0, 0
for f, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
    ref = item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    s = src[ref]
    assert [float(x) for x in item.PlanePositionSequence[0].ImagePositionPatient] == [float(x) for x in s.ImagePositionPatient] or np.allclose(np.array(item.PlanePositionSequence[0].ImagePositionPatient, float), np.array(s.ImagePositionPatient, float), atol=1e-4)
    iop = np.array(s.ImageOrientationPatient, float); ps = np.array(s.PixelSpacing, float)
    r, c = np.meshgrid(np.arange(s.Rows), np.arange(s.Columns), indexing='ij')
    lps = np.array(s.ImagePositionPatient, float)[None, None, :] + c[..., None] * ps[1] * iop[None, None, :3] + r[..., None] * ps[0] * iop[None, None, 3:]
    ras = lps * np.array([-1, -1, 1])
    v = np.rint(np.einsum('ij,rcj->rci', inv[:3, :3], ras) + inv[:3, 3]).astype(int)
    ok = np.all((v >= 0) & (v < np.array(dims)), axis=-1)
    expect = np.zeros((s.Rows, s.Columns), np.uint8)
    expect[ok] = m[v[ok][:, 0], v[ok][:, 1], v[ok][:, 2]]
    bad += int((expect != frames[f]).sum()); nonempty += int(expect.any())
print(json.dumps({'frames': int(seg.NumberOfFrames), 'bad': bad, 'nonempty': nonempty, 'set': int(frames.sum())}))`,
        [segFile, src, JSON.stringify([0, 4, 8, 12].map((r) => mask.affine.slice(r, r + 4))), JSON.stringify(mask.dims), join(dir, 'mask.raw')],
      ),
    ) as { frames: number; bad: number; nonempty: number; set: number }
    expect(report.bad).toBe(0)
    expect(report.frames).toBe(report.nonempty) // only frames the segment touches
    expect(report.set).toBeGreaterThan(50)
  })

  test('a mask that misses the source series is refused with the reason', () => {
    const series = readSegSource(readdirSync(src).map((f) => join(src, f)))
    const empty = framesFromMask({ ...mask, data: new Uint8Array(mask.data.length) }, series.slices)
    expect(() => segDataset({ slices: series.slices, frames: empty, source: series.source, segment: { label: 'x', algorithm: 'MANUAL', category: DEFAULT_CATEGORY, type: DEFAULT_TYPE }, seriesDescription: 'x', creator: 'x' })).toThrow(/covers no pixel/)
  })
})
