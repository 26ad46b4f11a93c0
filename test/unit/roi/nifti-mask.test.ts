// Mask files: written by encodeNiftiMask with a reference's header, checked by nibabel (geometry equals the
// reference's: shape, affine, sform/qform and their codes, zooms, units; uint8, unscaled). Images read by
// decodeNiftiVolume equal nibabel's unscaled data, with its scaling, byte order and first volume of 4-D.
import { beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { readNifti } from '../../../src/formats/nifti'
import { readNiftiFields } from '../../../src/formats/nifti-fields'
import { decodeNiftiVolume } from '../../../src/roi/nifti-image'
import { encodeNiftiMask } from '../../../src/roi/nifti-mask'
import { blobMask, Oracle, PYTHON, skipWithoutScipy } from './oracle'

const oracle = new Oracle()
let cases: string[] = []
let ref: Record<string, Record<string, unknown>> = {}
const masks = new Map<string, Uint8Array>()

const raw = (path: string) => {
  const b = new Uint8Array(readFileSync(path))
  return b[0] === 0x1f && b[1] === 0x8b ? new Uint8Array(gunzipSync(b)) : b
}

beforeAll(() => {
  if (skipWithoutScipy) return
  const p = Bun.spawnSync([PYTHON, join(import.meta.dir, 'make-references.py'), oracle.dir], { stdout: 'pipe', stderr: 'pipe' })
  if (p.exitCode !== 0) throw new Error(`make-references.py: ${p.stderr.toString()}`)
  cases = JSON.parse(p.stdout.toString())
  for (const [n, name] of cases.entries()) {
    const path = join(oracle.dir, name)
    const bytes = raw(path)
    const fields = readNiftiFields(bytes, name)
    const dims: [number, number, number] = [fields.dim[1]!, fields.dim[2]!, fields.dim[3]!]
    const mask = blobMask(dims, 40 + n, 3, 0.05)
    masks.set(name, mask)
    const out = join(oracle.dir, `mask-${n}.nii${n % 2 ? '' : '.gz'}`)
    const nii = encodeNiftiMask(mask, fields)
    writeFileSync(out, n % 2 ? nii : gzipSync(nii))
    oracle.add({ id: `mask-${n}`, op: 'niftimask', path: out, reference: path })
    oracle.add({ id: `read-${n}`, op: 'niftiread', path })
  }
  ref = oracle.run()
}, 120_000)

describe.skipIf(skipWithoutScipy)('NIfTI masks and images against nibabel', () => {
  test('a written mask has exactly the reference geometry, uint8 0/1, unscaled', () => {
    expect(cases.length).toBe(4)
    for (const [n, name] of cases.entries()) {
      const r = ref[`mask-${n}`]!
      expect(r.shape, name).toEqual(r.refShape)
      expect(r.dtype).toBe('uint8')
      const close = (a: unknown, b: unknown) => {
        const x = (a as number[][]).flat()
        const y = (b as number[][]).flat()
        expect(x.length).toBe(y.length)
        x.forEach((v, i) => expect(Math.abs(v - y[i]!), `${name}: ${x} vs ${y}`).toBeLessThan(1e-4))
      }
      close(r.affine, r.refAffine)
      expect((r.sform as unknown[])[0]).toBe((r.refSform as unknown[])[0])
      expect((r.qform as unknown[])[0]).toBe((r.refQform as unknown[])[0])
      close((r.sform as unknown[])[1], (r.refSform as unknown[])[1])
      close((r.qform as unknown[])[1], (r.refQform as unknown[])[1])
      close([r.zooms], [r.refZooms])
      expect(r.units).toEqual(r.refUnits)
      const data = oracle.uint8(`mask-${n}`)
      const mask = masks.get(name)!
      expect(data.length).toBe(mask.length)
      expect(data.every((v, i) => v === mask[i])).toBe(true)
    }
  })

  test('decodeNiftiVolume reads the stored values (any byte order, first volume) and the scaling nibabel applies', () => {
    for (const [n, name] of cases.entries()) {
      const bytes = raw(join(oracle.dir, name))
      const vol = decodeNiftiVolume(bytes, readNifti(bytes, name), name)
      const r = ref[`read-${n}`]!
      const theirs = oracle.float64(`read-${n}`)
      expect(vol.data.length, name).toBe(theirs.length)
      let bad = 0
      for (let v = 0; v < theirs.length; v++) if (Math.abs(vol.data[v]! - theirs[v]!) > 1e-12 * Math.max(1, Math.abs(theirs[v]!))) bad++
      expect(bad, name).toBe(0)
      expect(vol.slope).toBe(Number.isNaN(r.slope as number) ? 1 : (r.slope as number))
      expect(vol.inter).toBe(Number.isNaN(r.inter as number) ? 0 : (r.inter as number))
      expect(vol.volumes).toBe(((r.shape as number[])[3] ?? 1) as number)
      vol.grid.affine.forEach((x, i) => expect(Math.abs(x - (r.affine as number[][]).flat()[i]!)).toBeLessThan(1e-4))
    }
  })

  test('a mask of the wrong size is refused, naming both sizes', () => {
    const name = cases[0]!
    const fields = readNiftiFields(raw(join(oracle.dir, name)), name)
    expect(() => encodeNiftiMask(new Uint8Array(5), fields)).toThrow(/5 voxels.*21x17x9 = 3213/)
  })
})
