// The checks on an ROI sent with a reading result, before anything is stored: bounds (count, bytes) with what to do,
// the name rule, gzip NIfTI only, the grid of one of the case's images, one 3-D volume, no more data than the header
// declares; the voxel count and volume against numpy/nibabel for masks of several data types and voxel sizes. And the
// CSV's `rois` column (one row per result stays one row).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { TooLargeError } from '../../../src/core/errors'
import { resultsCsv } from '../../../src/reading/results-csv'
import { checkRoiBounds, checkRoiUpload, MAX_RESULT_ROIS, takesRois } from '../../../src/reading/roi-upload'
import { pythonJson } from '../../helpers/dicom-fixtures'

const MASKS = `
import sys, json, numpy as np, nibabel as nib
out = sys.argv[1]
rng = np.random.default_rng(3)
res = {}
def save(name, data, zooms, units='mm'):
    img = nib.Nifti1Image(data, np.diag(list(zooms) + [1.0]))
    img.header.set_xyzt_units(units)
    nib.save(img, f'{out}/{name}.nii.gz')
    res[name] = {'count': int(np.count_nonzero(data)), 'ml': float(np.count_nonzero(data) * np.prod(img.header.get_zooms()[:3]) / 1000)}
save('u8', (rng.random((12, 10, 8)) > 0.7).astype(np.uint8), (0.5, 0.5, 1.2))
save('f32', (rng.random((12, 10, 8)) * (rng.random((12, 10, 8)) > 0.5)).astype(np.float32), (2, 2, 2))
save('i16', (rng.integers(-3, 3, (12, 10, 8))).astype(np.int16), (1, 1, 3))
save('four', np.ones((12, 10, 8, 2), np.uint8), (1, 1, 1))
nib.save(nib.Nifti1Image(np.ones((12, 10, 8), np.uint8), np.eye(4)), f'{out}/plain.nii')
print(json.dumps(res))
`

const grids = [{ path: 'anat/t1.nii.gz', dims: [12, 10, 8] as [number, number, number] }]

describe('ROI uploads of reading results', () => {
  let dir: string
  let want: Record<string, { count: number; ml: number }>
  const upload = (name: string, as = name) => ({ name: as, data: readFileSync(join(dir, name.includes('.') ? name : `${name}.nii.gz`)).toString('base64') })

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nora-roi-upload-'))
    want = pythonJson(MASKS, dir)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('voxel counts and volumes are numpy\'s, for uint8, float32 and int16 masks', () => {
    for (const name of ['u8', 'f32', 'i16']) {
      const r = checkRoiUpload(upload(name), grids)
      expect(r.voxels).toBe(want[name]!.count)
      expect(r.volumeMl).toBeCloseTo(want[name]!.ml, 9)
      expect(r.reference).toBe('anat/t1.nii.gz')
      expect(Buffer.from(r.bytes).equals(readFileSync(join(dir, `${name}.nii.gz`)))).toBe(true)
    }
  })

  test('refused: another grid (with both grids named), 4-D, not gzip, bad names, more data than declared', () => {
    expect(() => checkRoiUpload(upload('u8'), [{ path: 'a/b.nii', dims: [12, 10, 9] }])).toThrow('its grid 12x10x8 is not the grid of the case\'s image 12x10x9 (a/b.nii)')
    expect(() => checkRoiUpload(upload('four'), grids)).toThrow('a mask is one 3-D volume, not 12x10x8x2')
    expect(() => checkRoiUpload(upload('plain.nii', 'plain'), grids)).toThrow('gzip-compressed NIfTI')
    expect(() => checkRoiUpload(upload('u8', '../x'), grids)).toThrow('is not allowed')
    expect(() => checkRoiUpload({ name: 'x', data: 'not base64!' }, grids)).toThrow('base64')
    // A header for 12x10x8 followed by 100 kB more: the inflate stops at the declared size.
    const raw = readFileSync(join(dir, 'plain.nii'))
    const bomb = gzipSync(Buffer.concat([raw, Buffer.alloc(100_000)]))
    expect(() => checkRoiUpload({ name: 'bomb', data: bomb.toString('base64') }, grids)).toThrow('does not inflate to the')
  })

  test('bounds: too many, one too large, all together too large: 413 with what to do', () => {
    const one = { name: 'a', data: 'A'.repeat(100) }
    expect(() => checkRoiBounds(Array.from({ length: MAX_RESULT_ROIS }, () => one))).not.toThrow()
    const many = () => checkRoiBounds(Array.from({ length: MAX_RESULT_ROIS + 1 }, () => one))
    expect(many).toThrow(TooLargeError)
    expect(many).toThrow('remove or merge')
    expect(() => checkRoiBounds([{ name: 'big', data: 'A'.repeat(6_000_000) }])).toThrow('one ROI may be at most 4.0 MB')
    expect(() => checkRoiBounds(Array.from({ length: 3 }, () => ({ name: 'm', data: 'A'.repeat(5_000_000) })))).toThrow('at most 10.0 MB are taken per result')
  })

  test('tools.roi turns them on', () => {
    expect(takesRois({ tools: { roi: 1 } })).toBe(true)
    expect(takesRois({ tools: { roi: 0 } })).toBe(false)
    expect(takesRois({})).toBe(false)
  })

  test('CSV: an rois column when asked, one row per result', () => {
    const row = { user: 'bob', mode: 'serious', caseKey: 'P1#S1', patientsId: 'P1', studiesId: 'S1', studyPath: 'P1/S1', repetition: 1, stage: 1, startedAt: 0, submittedAt: 1000, seconds: 1, values: {}, annotations: {} }
    const lines = resultsCsv([], [{ ...row, rois: [{ n: 1, name: 'lesion', file: '1.nii.gz', voxels: 7, ml: 0.007 }] }, row], true).trimEnd().split('\r\n')
    expect(lines.length).toBe(3)
    expect(lines[0]!.endsWith(',annotations,rois')).toBe(true)
    expect(lines[1]!.endsWith(',"[{""n"":1,""name"":""lesion"",""file"":""1.nii.gz"",""voxels"":7,""ml"":0.007}]"')).toBe(true)
    expect(lines[2]!.endsWith(',,')).toBe(true)
    expect(resultsCsv([], [row]).split('\r\n')[0]!.endsWith(',annotations')).toBe(true)
  })
})
