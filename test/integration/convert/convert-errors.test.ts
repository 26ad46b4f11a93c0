// Bad input: each converter fails with a ConvertError carrying dcm2niix's log, or converts what it can and says
// what it skipped, as Debian's dcm2niix does with the same files; never hangs, never leaves half a series.
import { afterAll, expect, test } from 'bun:test'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { ConvertError } from '../../../src/dicom/convert/convert-error'
import type { Converter } from '../../../src/dicom/convert/converter'
import { createConverter } from '../../../src/dicom/convert/converter-pool'
import { WasmConverter } from '../../../src/dicom/convert/wasm-converter'
import { DCM2NIIX, describeWithOracle, filesIn, generated, PYDICOM_FILES, referenceConvert } from './oracle'

describeWithOracle('conversion errors', () => {
  const work = mkdtempSync(join(tmpdir(), 'nora-convert-err-'))
  const builtin = createConverter({ converter: 'builtin', maxParallel: 1 })
  const native = createConverter({ converter: DCM2NIIX, maxParallel: 1 })
  const converters: Converter[] = [builtin, native]
  afterAll(() => {
    builtin.close()
    rmSync(work, { recursive: true, force: true })
  })
  let n = 0
  const out = () => join(work, `out${n++}`)
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected a ConvertError, the conversion succeeded')
      },
      (e) => e as ConvertError,
    )

  test('a truncated file (MR_truncated.dcm): ConvertError with the reference exit code, the file named in the log', async () => {
    const file = join(PYDICOM_FILES, 'MR_truncated.dcm')
    const reference = referenceConvert([file], out())
    expect(reference.exitCode).not.toBe(0)
    for (const c of converters) {
      const dir = out()
      const e = await failure(c.convertSeries([file], dir))
      expect(e).toBeInstanceOf(ConvertError)
      expect(e.dcm2niixExitCode).toBe(reference.exitCode)
      expect(e.message).toContain('File not large enough')
      expect(e.log.join('\n')).toContain(file) // the caller's path, not the temp or in-module one
      expect(readdirSync(dir)).toEqual([]) // nothing half-written left
    }
  })

  test('a series with one slice cut short fails as a whole, as with Debian\'s dcm2niix', async () => {
    const files = filesIn(await generated('make-ct-series.py', ['20']))
    const cut = join(work, 'cut')
    mkdirSync(cut)
    const inputs = files.map((f) => join(cut, basename(f)))
    files.forEach((f, i) => copyFileSync(f, inputs[i]!))
    writeFileSync(inputs[9]!, (await Bun.file(files[9]!).bytes()).subarray(0, 300_000))
    const reference = referenceConvert(inputs, out())
    expect(reference.outputs).toEqual([])
    for (const c of converters) {
      const e = await failure(c.convertSeries(inputs, out()))
      expect(e.dcm2niixExitCode).toBe(reference.exitCode)
      expect(e.log.join('\n')).toContain(inputs[9]!)
    }
  })

  test('a good series plus a corrupt file: the series converts, exit code 8 reports the skipped file', async () => {
    const files = [...filesIn(await generated('make-ct-series.py', ['20'])), join(PYDICOM_FILES, 'MR_truncated.dcm')]
    const reference = referenceConvert(files, out())
    expect(reference.exitCode).toBe(8)
    for (const c of converters) {
      const r = await c.convertSeries(files, out())
      expect(r.exitCode).toBe(8)
      expect(r.outputs.map((p) => basename(p))).toEqual(reference.outputs.map((p) => basename(p)))
      expect(r.log.join('\n')).toContain('MR_truncated.dcm')
    }
  })

  test('no image to convert (an RT plan; a non-DICOM file): ConvertError "no valid DICOM"', async () => {
    const text = join(work, 'notes.txt')
    writeFileSync(text, 'not a DICOM file\n')
    for (const file of [join(PYDICOM_FILES, 'rtplan.dcm'), text]) {
      const reference = referenceConvert([file], out())
      for (const c of converters) {
        const e = await failure(c.convertSeries([file], out()))
        expect(e.dcm2niixExitCode).toBe(reference.exitCode)
        expect(e.message).toContain('no valid DICOM')
      }
    }
  })

  test('a missing input file or none at all: ConvertError before dcm2niix runs', async () => {
    for (const c of converters) {
      expect((await failure(c.convertSeries([join(work, 'nope.dcm')], out()))).message).toContain('nope.dcm')
      expect((await failure(c.convertSeries([], out()))).message).toContain('no input files')
    }
  })

  test('a conversion over its time limit is stopped with a ConvertError, and the converter still works after', async () => {
    const files = filesIn(await generated('make-ct-series.py', ['20']))
    for (const converter of ['builtin', DCM2NIIX]) {
      const c = createConverter({ converter, maxParallel: 1, timeoutMs: 1 })
      const started = performance.now()
      const e = await failure(c.convertSeries(files, out()))
      expect(e.message).toContain('did not finish within')
      expect(e.dcm2niixExitCode).toBeNull()
      expect(performance.now() - started).toBeLessThan(5000)
      c.close()
    }
    const r = await builtin.convertSeries(files, out())
    expect(r.outputs.some((p) => p.endsWith('.nii'))).toBe(true)
  })

  test("a failing builtin conversion in-process leaves the process's exit code alone", async () => {
    const before = process.exitCode
    const c = new WasmConverter()
    await failure(c.convertSeries([join(PYDICOM_FILES, 'MR_truncated.dcm')], out()))
    expect(process.exitCode ?? 0).toBe(before ?? 0) // Emscripten's exit() had set it to dcm2niix's 1
  })

  test('a native converter path that does not exist is a configuration error naming the key', () => {
    expect(() => createConverter({ converter: join(work, 'no-dcm2niix') })).toThrow(/import\.converter/)
    expect(existsSync(join(work, 'no-dcm2niix'))).toBe(false)
  })
})
