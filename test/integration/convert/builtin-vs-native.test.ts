// The builtin (WASM) and native converters against the reference: Debian's dcm2niix run directly, read by nibabel.
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { ConvertOptions, ConvertResult } from '../../../src/dicom/convert/converter'
import { ConvertError } from '../../../src/dicom/convert/convert-error'
import { createConverter } from '../../../src/dicom/convert/converter-pool'
import { compareNiftis, DCM2NIIX, describeWithOracle, filesIn, generated, PYDICOM_FILES, referenceConvert, seriesIn } from './oracle'

const NIFTI = /\.nii(\.gz)?$/

/**
 * dicomdirtests' "Scout" of patient 98890234: one sagittal and one coronal slice, which dcm2niix stacks into one
 * 16x16x2 NIfTI that no affine can describe. Debian's v1.0.20220720 and the WASM's v1.0.20241231 write different
 * affines for it (dims and voxels agree); it is the one series whose geometry is not compared.
 */
const MIXED_ORIENTATION = new Set(['1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.2'])

describeWithOracle('builtin and native dcm2niix give the reference NIfTIs (nibabel: dims, affine, voxels)', () => {
  const work = mkdtempSync(join(tmpdir(), 'nora-convert-'))
  const builtin = createConverter({ converter: 'builtin', maxParallel: 2 })
  const native = createConverter({ converter: DCM2NIIX, maxParallel: 2 })
  afterAll(() => {
    builtin.close()
    rmSync(work, { recursive: true, force: true })
  })
  let n = 0

  /** Converts `files` with both converters and the reference; flags are the reference's dcm2niix flags for `opts`. */
  async function convertAll(files: string[], opts: ConvertOptions = {}, flags: string[] = []) {
    const dir = join(work, String(n++))
    const reference = referenceConvert(files, join(dir, 'reference'), flags)
    const [b, nat] = await Promise.all([builtin.convertSeries(files, join(dir, 'builtin'), opts), native.convertSeries(files, join(dir, 'native'), opts)])
    return { reference, builtin: b, native: nat }
  }

  /**
   * Both results hold the reference's files by name, and every NIfTI equals the reference's by nibabel; with
   * `geometry: false` the affine is not compared (see MIXED_ORIENTATION).
   */
  function expectLikeReference(reference: { outputs: string[] }, results: ConvertResult[], geometry = true) {
    const names = (paths: string[]) => paths.map((p) => basename(p))
    expect(reference.outputs.some((p) => NIFTI.test(p))).toBe(true)
    const pairs: [string, string][] = []
    for (const r of results) {
      expect(names(r.outputs)).toEqual(names(reference.outputs))
      r.outputs.forEach((p, i) => NIFTI.test(p) && pairs.push([reference.outputs[i]!, p]))
    }
    for (const c of compareNiftis(pairs)) {
      const label = `${c.actual} vs ${c.expected}`
      expect({ label, shape: c.shape[1] }).toEqual({ label, shape: c.shape[0] })
      if (geometry) expect({ label, affineDiff: c.affineDiff <= 1e-4, sformDiff: c.sformDiff <= 1e-4 }).toEqual({ label, affineDiff: true, sformDiff: true })
      expect({ label, voxelsEqual: c.voxelsEqual, first: c.firstDifference }).toEqual({ label, voxelsEqual: true, first: null })
    }
    return pairs.length
  }

  test("pydicom's dicomdirtests, series by series", async () => {
    const series = seriesIn(join(PYDICOM_FILES, 'dicomdirtests'))
    expect(Object.keys(series).length).toBeGreaterThanOrEqual(10)
    let compared = 0
    let withGeometry = 0
    for (const [uid, { files }] of Object.entries(series)) {
      const dir = join(work, String(n++))
      const reference = referenceConvert(files, join(dir, 'reference'))
      if (!reference.outputs.some((p) => NIFTI.test(p))) {
        // dcm2niix itself finds no image to convert here: both converters must fail with its reason, not invent one.
        for (const c of [builtin, native]) {
          const e = await c.convertSeries(files, join(dir, c.kind)).then(() => undefined, (err) => err)
          expect(e).toBeInstanceOf(ConvertError)
          expect((e as ConvertError).dcm2niixExitCode).toBe(reference.exitCode)
        }
        continue
      }
      const [b, nat] = await Promise.all([builtin.convertSeries(files, join(dir, 'builtin')), native.convertSeries(files, join(dir, 'native'))])
      const pairs = expectLikeReference(reference, [b, nat], !MIXED_ORIENTATION.has(uid))
      compared += pairs
      if (!MIXED_ORIENTATION.has(uid)) withGeometry += pairs
    }
    // Debian's dcm2niix makes 24 NIfTIs of these series, one at a time: each compared with builtin's and native's.
    expect(compared).toBe(48)
    expect(withGeometry).toBe(46)
  })

  test('CT_small and MR_small in every transfer syntax both builds read (implicit, big endian, RLE, JPEG 2000...)', async () => {
    const names = ['CT_small.dcm', 'MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_expb.dcm', 'MR_small_RLE.dcm', 'MR_small_jp2klossless.dcm', 'MR_small_padded.dcm', 'badVR.dcm']
    for (const name of names) {
      const { reference, builtin, native } = await convertAll([join(PYDICOM_FILES, name)])
      expect({ name, exitCode: reference.exitCode }).toEqual({ name, exitCode: 0 })
      expectLikeReference(reference, [builtin, native])
    }
  })

  test('JPEG-LS, which Debian\'s dcm2niix cannot decode: builtin gives the voxels of the uncompressed original', async () => {
    const dir = join(work, 'jpegls')
    const reference = referenceConvert([join(PYDICOM_FILES, 'MR_small.dcm')], join(dir, 'reference'))
    const result = await builtin.convertSeries([join(PYDICOM_FILES, 'MR_small_jpeg_ls_lossless.dcm')], join(dir, 'builtin'))
    const [c] = compareNiftis([[reference.outputs.find((p) => NIFTI.test(p))!, result.outputs.find((p) => NIFTI.test(p))!]])
    expect(c!.shape[1]).toEqual(c!.shape[0])
    expect(c!.affineDiff).toBeLessThanOrEqual(1e-4)
    expect(c!.voxelsEqual).toBe(true)
  })

  test('a generated 20-slice 512x512 CT series', async () => {
    const files = filesIn(await generated('make-ct-series.py', ['20']))
    const { reference, builtin, native } = await convertAll(files)
    const [c] = compareNiftis([[reference.outputs.find((p) => NIFTI.test(p))!, builtin.outputs.find((p) => NIFTI.test(p))!]])
    expect(c!.shape[0]).toEqual([512, 512, 20])
    expectLikeReference(reference, [builtin, native])
  })

  test('a generated 4D MR series (8 time points of 12 oblique slices) becomes one 4D NIfTI', async () => {
    const files = filesIn(await generated('make-4d-series.py', ['--slices', '12', '--volumes', '8']))
    const { reference, builtin, native } = await convertAll(files)
    const [c] = compareNiftis([[reference.outputs.find((p) => NIFTI.test(p))!, builtin.outputs.find((p) => NIFTI.test(p))!]])
    expect(c!.shape[0]).toEqual([64, 64, 12, 8])
    expectLikeReference(reference, [builtin, native])
  })

  test('options: gzip, the -f pattern, and anonymised or full sidecars, as dcm2niix gives them', async () => {
    const files = filesIn(await generated('make-4d-series.py', ['--slices', '12', '--volumes', '8']))
    const gz = await convertAll(files, { compress: true, filename: '%p_%s' }, ['-z', 'y', '-f', '%p_%s'])
    expect(gz.builtin.outputs.map((p) => basename(p))).toEqual(['bold_rest_7.json', 'bold_rest_7.nii.gz'])
    expectLikeReference(gz.reference, [gz.builtin, gz.native])

    const sidecar = (r: { outputs: string[] }) => JSON.parse(readFileSync(r.outputs.find((p) => p.endsWith('.json'))!, 'utf8'))
    for (const anonymize of [false, true]) {
      const r = await convertAll(files, { anonymize }, ['-ba', anonymize ? 'y' : 'n'])
      const keys = ['PatientID', 'PatientName', 'SeriesNumber', 'RepetitionTime', 'EchoTime', 'FlipAngle', 'Modality']
      const pick = (j: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, j[k]]))
      const expected = pick(sidecar(r.reference))
      expect(expected.PatientID).toBe(anonymize ? undefined : 'NORA-MR-004')
      expect(pick(sidecar(r.builtin))).toEqual(expected)
      expect(pick(sidecar(r.native))).toEqual(expected)
    }
  })
})
