import { closeSync, copyFileSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { DicomError, hasDicomMagic, readDicomHeader, readDicomHeaderFromFile } from '../dicom/dicom-header'
import { instanceUidProblems } from '../dicom/uid'
import type { StagedInstance } from './import-plan'
import { SourceError, sourceEntries, unsafeEntryName, UnpackBudget, type SourceLimits } from './source-entries'

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

/** The header of a staged archive member: from its bytes when gathered, else from its file's start. */
function readStagedHeader(path: string, name: string, whole?: Buffer) {
  if (whole) return hasDicomMagic(whole) ? readDicomHeader(whole, name) : undefined
  return readDicomHeaderFromFile(path, name)
}

/**
 * Unpacks a source (folder, zip, tar, tar.gz) entry by entry into `stagingDir`, reading each DICOM's header once.
 * A folder's DICOM files are not copied: their staged path is the file itself, read in place (converted, bundled)
 * and never written, moved or removed; with `copy` (the pseudonymiser rewrites staged instances) they are copied.
 * Unsafe member names, unreadable DICOM and non-DICOM files are reported and skipped; non-DICOM files whose
 * extension is in `extraExtensions` are kept as extras (always copies: the archive takes them by rename). Only the
 * unpack budget (zip bomb, size) stops it.
 */
export async function stageSource(
  source: string,
  stagingDir: string,
  opts: { extraExtensions: string[]; limits?: SourceLimits; onEntry?: (n: number) => void; copy?: boolean },
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
    let staged = join(stagingDir, `${n}`)
    let whole: Buffer | undefined
    try {
      if (entry.path) budget.add(statSync(entry.path).size)
      else whole = await writeEntry(await entry.open(), staged, budget)
    } catch (e) {
      if (e instanceof SourceError) throw e // the source as a whole: the import stops
      result.problems.push({ file: entry.name, kind: 'error', message: `could not be read from the source (${(e as Error).message}); the rest goes on` })
      continue
    }
    try {
      const header = entry.path ? readDicomHeaderFromFile(entry.path, entry.name) : readStagedHeader(staged, entry.name, whole)
      const bad = header ? instanceUidProblems(header) : []
      if (bad.length) {
        // UIDs name the kept bundle's members and group series: a value that is not a UID is refused, not used.
        result.problems.push({ file: entry.name, kind: 'error', message: `refused: ${bad.join('; ')} (a DICOM UID is digits and dots, at most 64 characters)` })
        continue
      }
      if (header) {
        if (entry.path && opts.copy) copyFileSync(entry.path, staged)
        else if (entry.path) staged = entry.path
        result.instances.push({ stagedPath: staged, sourceName: entry.name, header })
        continue
      }
    } catch (e) {
      if (entry.path && !(e instanceof DicomError) && (e as { code?: string }).code) {
        result.problems.push({ file: entry.name, kind: 'error', message: `could not be read from the source (${(e as Error).message}); the rest goes on` })
        continue
      }
      const msg = e instanceof DicomError ? e.reason : (e as Error).message
      result.problems.push({ file: entry.name, kind: 'error', message: `corrupt DICOM, skipped: ${msg}` })
      continue
    }
    const lower = base.toLowerCase()
    if (opts.extraExtensions.some((ext) => lower.endsWith(`.${ext.toLowerCase()}`))) {
      if (entry.path) copyFileSync(entry.path, staged)
      result.extras.push({ stagedPath: staged, sourceName: entry.name })
    }
    else result.problems.push({ file: entry.name, kind: 'skipped', message: 'not DICOM (add its extension to --extrafiles_filter to keep it)' })
  }
  return result
}
