// The builtin converter inside a `bun build --compile` executable: the .wasm and the Worker come from the
// executable itself (run from / in a temp dir, with no node_modules in reach), and the NIfTI is the reference's.
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { compareNiftis, describeWithOracle, filesIn, generated, referenceConvert } from './oracle'

const REPO = join(import.meta.dir, '../../..')

describeWithOracle('builtin converter in a compiled executable', () => {
  const work = mkdtempSync(join(tmpdir(), 'nora-convert-bin-'))
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  test('embeds dcm2niix.jpeg.wasm and its Worker, and converts like Debian\'s dcm2niix', async () => {
    const exe = join(work, 'convert-bin')
    // As scripts/build.ts must: the Worker entry is an entrypoint of its own.
    const build = Bun.spawnSync(['bun', 'build', '--compile', 'test/integration/convert/compiled-entry.ts', 'src/dicom/convert/wasm-worker.ts', '--outfile', exe], { cwd: REPO, stdout: 'pipe', stderr: 'pipe' })
    expect({ code: build.exitCode, stderr: build.stderr.toString() }).toEqual({ code: 0, stderr: '' })

    const files = filesIn(await generated('make-4d-series.py', ['--slices', '12', '--volumes', '8']))
    const outDir = join(work, 'out')
    const run = Bun.spawnSync([exe, outDir, ...files], { cwd: '/', env: { PATH: '/usr/bin:/bin' }, stdout: 'pipe', stderr: 'pipe' })
    expect({ code: run.exitCode, stderr: run.stderr.toString() }).toEqual({ code: 0, stderr: '' })
    const result = JSON.parse(run.stdout.toString()) as { version: string; outputs: string[] }
    expect(result.version).toMatch(/^v1\.0\.\d{8}/)
    expect(result.outputs.map((p) => basename(p))).toEqual(['7_bold_rest.json', '7_bold_rest.nii'])

    const reference = referenceConvert(files, join(work, 'reference'))
    const [c] = compareNiftis([[reference.outputs.find((p) => p.endsWith('.nii'))!, result.outputs.find((p) => p.endsWith('.nii'))!]])
    expect(c!.shape).toEqual([[64, 64, 12, 8], [64, 64, 12, 8]])
    expect(c!.affineDiff).toBeLessThanOrEqual(1e-4)
    expect(c!.voxelsEqual).toBe(true)
  })
})
