import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { DicomError, hasDicomMagic, readDicomHeader } from '../dicom/dicom-header'
import type { StagedInstance } from './import-plan'
import { sourceEntries, unsafeEntryName, UnpackBudget, type SourceLimits } from './source-entries'

export interface StagedExtra {
  stagedPath: string
  sourceName: string
}

export interface StageProblem {
  file: string
  kind: 'skipped' | 'error'
  message: string
}

export interface StageResult {
  instances: StagedInstance[]
  extras: StagedExtra[]
  problems: StageProblem[]
}

const HEADER_PROBE = 1 << 20
/** Entries are gathered in memory up to this size and written with one call; larger ones stream to disk. */
const SMALL_ENTRY = 32 << 20

/**
 * Copies one entry to disk, counting its bytes against the budget (which throws on a bomb). Returns the whole
 * content when it was small enough to gather (the header is then read from memory), else undefined.
 */
async function writeEntry(stream: Readable, path: string, budget: UnpackBudget): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  let fd: number | undefined
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      budget.add(chunk.length)
      if (fd === undefined) {
        chunks.push(chunk)
        size += chunk.length
        if (size > SMALL_ENTRY) {
          fd = openSync(path, 'w')
          writeSync(fd, Buffer.concat(chunks))
          chunks.length = 0
        }
      } else writeSync(fd, chunk)
    }
    if (fd !== undefined) return undefined
    const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    writeFileSync(path, whole)
    return whole
  } finally {
    if (fd !== undefined) closeSync(fd)
    stream.destroy()
  }
}

/** The header of a staged file: read from its first MiB, or from all of it when the header is longer. */
function readStagedHeader(path: string, name: string, size: number, whole?: Buffer) {
  if (whole) return hasDicomMagic(whole) ? readDicomHeader(whole, name) : undefined
  const fd = openSync(path, 'r')
  try {
    const first = new Uint8Array(Math.min(size, HEADER_PROBE))
    readSync(fd, first, 0, first.length, 0)
    if (!hasDicomMagic(first)) return undefined
    try {
      return readDicomHeader(first, name)
    } catch (e) {
      if (size <= HEADER_PROBE) throw e
      const all = new Uint8Array(size)
      readSync(fd, all, 0, size, 0)
      return readDicomHeader(all, name)
    }
  } finally {
    closeSync(fd)
  }
}

/**
 * Unpacks a source (folder, zip, tar, tar.gz) entry by entry into `stagingDir`, reading each DICOM's header.
 * Unsafe member names, unreadable DICOM and non-DICOM files are reported and skipped; non-DICOM files whose
 * extension is in `extraExtensions` are kept as extras. Only the unpack budget (zip bomb, size) stops it.
 */
export async function stageSource(
  source: string,
  stagingDir: string,
  opts: { extraExtensions: string[]; limits?: SourceLimits; onEntry?: (n: number) => void },
): Promise<StageResult> {
  mkdirSync(stagingDir, { recursive: true })
  const packed = statSync(source).isDirectory() ? 0 : statSync(source).size
  const budget = new UnpackBudget(packed, opts.limits)
  const result: StageResult = { instances: [], extras: [], problems: [] }
  let n = 0
  for await (const entry of sourceEntries(source)) {
    n++
    opts.onEntry?.(n)
    const unsafe = unsafeEntryName(entry.name)
    if (unsafe) {
      result.problems.push({ file: entry.name, kind: 'error', message: `refused: the member name ${unsafe}` })
      continue
    }
    const base = entry.name.split(/[\\/]/).pop() ?? ''
    const isIndex = base.toUpperCase().startsWith('DICOMDIR')
    if (isIndex || base.startsWith('.')) {
      result.problems.push({ file: entry.name, kind: 'skipped', message: isIndex ? 'DICOMDIR index (not an image)' : 'hidden file' })
      continue
    }
    const staged = join(stagingDir, `${n}`)
    let whole: Buffer | undefined
    try {
      whole = await writeEntry(await entry.open(), staged, budget)
    } catch (e) {
      if ((e as Error).name === 'SourceError') throw e
      result.problems.push({ file: entry.name, kind: 'error', message: `could not be read from the source (${(e as Error).message}); the rest goes on` })
      continue
    }
    try {
      const header = readStagedHeader(staged, entry.name, whole?.length ?? statSync(staged).size, whole)
      if (header) {
        result.instances.push({ stagedPath: staged, sourceName: entry.name, header })
        continue
      }
    } catch (e) {
      const msg = e instanceof DicomError ? e.message.slice(entry.name.length + 2) : (e as Error).message
      result.problems.push({ file: entry.name, kind: 'error', message: `corrupt DICOM, skipped: ${msg}` })
      continue
    }
    const lower = base.toLowerCase()
    if (opts.extraExtensions.some((ext) => lower.endsWith(`.${ext.toLowerCase()}`))) result.extras.push({ stagedPath: staged, sourceName: entry.name })
    else result.problems.push({ file: entry.name, kind: 'skipped', message: 'not DICOM (add its extension to --extrafiles_filter to keep it)' })
  }
  return result
}
