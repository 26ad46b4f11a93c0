// The independent side of the conversion tests: Debian's dcm2niix and nibabel/pydicom under /usr/bin/python3.
import { describe, test } from 'bun:test'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'

export const DCM2NIIX = '/usr/bin/dcm2niix'
export const PYTHON = '/usr/bin/python3'
export const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files'
const HERE = import.meta.dir
const GENERATE = join(HERE, '../../fixtures/generate')

/** What the suite needs of the machine and does not have, or null. */
function missingTools(): string | null {
  const missing: string[] = []
  if (!existsSync(DCM2NIIX)) missing.push(`${DCM2NIIX} (apt-get install -y dcm2niix)`)
  const py = existsSync(PYTHON) ? Bun.spawnSync([PYTHON, '-c', 'import pydicom, nibabel, numpy'], { stderr: 'pipe' }) : undefined
  if (!py || py.exitCode !== 0) missing.push(`${PYTHON} with pydicom, nibabel, numpy (apt-get install -y python3-pydicom python3-nibabel python3-numpy)`)
  if (!existsSync(PYDICOM_FILES)) missing.push(`pydicom's test data in ${PYDICOM_FILES} (python3-pydicom)`)
  return missing.length ? missing.join('; ') : null
}

/** describe() for a suite that needs the oracle. Without it the suite fails (test/run.sh installs everything); it never skips. */
export function describeWithOracle(name: string, body: () => void): void {
  const missing = missingTools()
  if (!missing) return describe(name, body)
  describe(name, () =>
    test('the conversion oracle is installed', () => {
      throw new Error(`missing: ${missing}`)
    }),
  )
}

export function python(script: string, args: string[], stdin?: string): string {
  const r = Bun.spawnSync([PYTHON, script, ...args], { stdin: stdin === undefined ? 'ignore' : Buffer.from(stdin), stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${PYTHON} ${script} failed: ${r.stderr.toString().slice(-1500)}`)
  return r.stdout.toString()
}

/** Every series under `folder` as pydicom groups them (by SeriesInstanceUID). */
export function seriesIn(folder: string): Record<string, { files: string[] }> {
  return JSON.parse(python(join(HERE, 'dicom-series.py'), [folder]))
}

export interface PairReport {
  expected: string
  actual: string
  shape: [number[], number[]]
  dtype: [string, string]
  affineDiff: number
  sformDiff: number
  voxelsEqual: boolean
  firstDifference: unknown
  voxels: number
}

/** nibabel's view of each (expected, actual) NIfTI pair. */
export function compareNiftis(pairs: [string, string][]): PairReport[] {
  return pairs.length ? JSON.parse(python(join(HERE, 'nifti-compare.py'), [], JSON.stringify(pairs))) : []
}

/**
 * The reference conversion: Debian's dcm2niix itself (not nora's wrapper) on a folder holding just `files`
 * (as symlinks). `flags` replace the defaults, e.g. ['-z', 'y']. Returns its exit code and output paths.
 */
export function referenceConvert(files: string[], outDir: string, flags: string[] = []): { exitCode: number; outputs: string[]; log: string } {
  const inDir = `${outDir}.in`
  mkdirSync(inDir, { recursive: true })
  mkdirSync(outDir, { recursive: true })
  files.forEach((f, i) => symlinkSync(f, join(inDir, `${i}_${basename(f)}`)))
  const opts = { '-b': 'y', '-z': 'n', '-f': '%s_%p', '-ba': 'y' } as Record<string, string>
  for (let i = 0; i < flags.length; i += 2) opts[flags[i]!] = flags[i + 1]!
  const r = Bun.spawnSync([DCM2NIIX, ...Object.entries(opts).flat(), '-o', outDir, inDir], { stdout: 'pipe', stderr: 'pipe' })
  return { exitCode: r.exitCode, outputs: filesIn(outDir), log: r.stdout.toString() + r.stderr.toString() }
}

/**
 * A series made by one of test/fixtures/generate/*.py, kept in the temp dir between runs (keyed by the
 * script's content and arguments, so an edited script makes new files). Returns its folder.
 */
export async function generated(script: 'make-ct-series.py' | 'make-4d-series.py', args: string[]): Promise<string> {
  const source = await Bun.file(join(GENERATE, script)).text()
  const key = Bun.hash(source + JSON.stringify(args)).toString(36)
  const dir = join(tmpdir(), 'nora-convert-fixtures', `${script.replace('.py', '')}-${args.join('_')}-${key}`)
  if (existsSync(dir)) return dir
  const partial = `${dir}.partial-${process.pid}`
  rmSync(partial, { recursive: true, force: true })
  python(join(GENERATE, script), [partial, ...args])
  try {
    renameSync(partial, dir)
  } catch (e) {
    if (!existsSync(dir)) throw e
    rmSync(partial, { recursive: true, force: true }) // another run made it meanwhile
  }
  return dir
}

/** Absolute paths of the files in a folder, sorted. */
export function filesIn(dir: string): string[] {
  return readdirSync(dir).sort().map((f) => join(dir, f))
}
