// The pool: conversions off the request path, at most maxParallel at once, each result its own.
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { createConverter, type ConverterPool } from '../../../src/dicom/convert/converter-pool'
import { compareNiftis, DCM2NIIX, describeWithOracle, filesIn, generated, PYDICOM_FILES, referenceConvert } from './oracle'

describeWithOracle('converter pool', () => {
  const work = mkdtempSync(join(tmpdir(), 'nora-convert-pool-'))
  const pools: ConverterPool[] = []
  const pool = (converter: string, maxParallel: number) => {
    const p = createConverter({ converter, maxParallel })
    pools.push(p)
    return p
  }
  afterAll(() => {
    for (const p of pools) p.close()
    rmSync(work, { recursive: true, force: true })
  })
  let n = 0
  const out = () => join(work, `out${n++}`)

  test('builtin converts off the main thread: timers keep firing while a 60-slice CT converts', async () => {
    const files = filesIn(await generated('make-ct-series.py', ['60']))
    const builtin = pool('builtin', 1)
    await builtin.version() // the Worker is up
    let last = performance.now()
    let longestGap = 0
    const ticker = setInterval(() => {
      const now = performance.now()
      longestGap = Math.max(longestGap, now - last)
      last = now
    }, 5)
    const started = performance.now()
    await builtin.convertSeries(files, out())
    const took = performance.now() - started
    clearInterval(ticker)
    longestGap = Math.max(longestGap, performance.now() - last)
    // WASM in this thread would stall the event loop for the whole conversion: longestGap would be about `took`.
    expect(longestGap).toBeLessThan(took / 2)
  })

  for (const converter of ['builtin', DCM2NIIX]) {
    test(`${converter === 'builtin' ? 'builtin' : 'native'}: 6 series with maxParallel 2 run 2 at a time, each giving the reference NIfTI`, async () => {
      const inputs = [
        filesIn(await generated('make-ct-series.py', ['20'])),
        filesIn(await generated('make-4d-series.py', ['--slices', '12', '--volumes', '8'])),
        [join(PYDICOM_FILES, 'CT_small.dcm')],
        [join(PYDICOM_FILES, 'MR_small.dcm')],
        [join(PYDICOM_FILES, 'MR_small_bigendian.dcm')],
        filesIn(await generated('make-4d-series.py', ['--slices', '6', '--volumes', '3', '--rows', '32'])),
      ]
      const p = pool(converter, 2)
      let mostRunning = 0
      let mostQueued = 0
      const sampler = setInterval(() => {
        mostRunning = Math.max(mostRunning, p.load.running)
        mostQueued = Math.max(mostQueued, p.load.queued)
      }, 1)
      const results = inputs.map((files) => p.convertSeries(files, out()))
      mostQueued = Math.max(mostQueued, p.load.queued)
      mostRunning = Math.max(mostRunning, p.load.running)
      const done = await Promise.all(results)
      clearInterval(sampler)
      expect(mostRunning).toBe(2)
      expect(mostQueued).toBe(4)
      expect(p.load).toEqual({ running: 0, queued: 0 })

      const pairs: [string, string][] = []
      inputs.forEach((files, i) => {
        const reference = referenceConvert(files, out())
        const nii = (paths: string[]) => paths.filter((f) => f.endsWith('.nii'))
        expect(nii(done[i]!.outputs).map((f) => basename(f))).toEqual(nii(reference.outputs).map((f) => basename(f)))
        nii(reference.outputs).forEach((f, k) => pairs.push([f, nii(done[i]!.outputs)[k]!]))
      })
      for (const c of compareNiftis(pairs)) {
        expect(c.shape[1]).toEqual(c.shape[0])
        expect(c.affineDiff).toBeLessThanOrEqual(1e-4)
        expect(c.voxelsEqual).toBe(true)
      }
    })
  }

  test('auto: the native dcm2niix on PATH, and the builtin for a series it cannot decode (JPEG-LS)', async () => {
    const auto = pool('auto', 1)
    expect(auto.kind).toBe('native')
    const nativeVersion = Bun.spawnSync([DCM2NIIX, '--version'], { stdout: 'pipe' }).stdout.toString().match(/v\d+\.\d+\.\d+/)![0]
    const plain = await auto.convertSeries([join(PYDICOM_FILES, 'MR_small.dcm')], out())
    expect(plain.log[0]).toContain(nativeVersion)

    const jpegLs = await auto.convertSeries([join(PYDICOM_FILES, 'MR_small_jpeg_ls_lossless.dcm')], out())
    expect(jpegLs.log[0]).toContain('converted with the builtin dcm2niix')
    const reference = referenceConvert([join(PYDICOM_FILES, 'MR_small.dcm')], out()) // the same image, uncompressed
    const [c] = compareNiftis([[reference.outputs.find((p) => p.endsWith('.nii'))!, jpegLs.outputs.find((p) => p.endsWith('.nii'))!]])
    expect(c!.voxelsEqual).toBe(true)
    expect(c!.affineDiff).toBeLessThanOrEqual(1e-4)
  })

  test('auto without a dcm2niix on PATH: the builtin', () => {
    const saved = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      expect(pool('auto', 1).kind).toBe('builtin')
    } finally {
      process.env.PATH = saved
    }
  })
})
