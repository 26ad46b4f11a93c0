import { createReadStream, lstatSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { Readable } from 'node:stream'
import type yauzl from 'yauzl'
import { safeRelativeSegments } from '../core/safe-path'
import { NoraError } from '../core/errors'

/** One file of an import source, opened lazily so that only one entry is in flight at a time. */
export interface SourceEntry {
  /** The path inside the source (archive member name or path relative to the folder). */
  name: string
  /** The file itself, for a folder's entries: read in place, never copied (see stage-source.ts). */
  path?: string
  open(): Promise<Readable>
}

export interface SourceLimits {
  /** Stop when the unpacked bytes exceed this (zip bombs, runaway uploads). */
  maxTotalBytes: number
  /** Stop when unpacked/packed exceeds this ratio once past `ratioAfterBytes` (zip bombs). */
  maxRatio: number
  ratioAfterBytes: number
}

export const DEFAULT_LIMITS: SourceLimits = { maxTotalBytes: 500e9, maxRatio: 200, ratioAfterBytes: 64e6 }

/** The source as a whole cannot be imported (not an archive, unreadable, a zip bomb): the import stops with this message. */
export class SourceError extends NoraError {
  override readonly status = 422
}

/**
 * Why a member name is refused (zip-slip, absolute, NUL or control characters, a segment over 255 bytes), or
 * undefined: checked by core/safe-path's safeRelativeSegments. A "." step ("./a/1.dcm", as `tar -C dir .` writes
 * every name) stays nowhere else and is dropped first; ".." is refused, never resolved.
 */
export function unsafeEntryName(name: string): string | undefined {
  const steps = name.split(/[\\/]/)
  const rest = steps.filter((s, i) => s !== '.' || i === steps.length - 1).join('/')
  try {
    safeRelativeSegments(rest, 'member name')
    return undefined
  } catch (e) {
    if (name.includes('\0')) return 'contains a NUL byte'
    if (steps.includes('..')) return 'climbs out with ".."'
    if (/^([\\/]|[A-Za-z]:)/.test(name)) return 'is an absolute path'
    return (e as Error).message.replace(/^member name "(?:[^"\\]|\\.)*"(?::| )\s*/, '')
  }
}

type TarEntry = Readable & { header: { name: string; type: string | null } }

export type SourceKind = 'folder' | 'zip' | 'tar' | 'tar.gz'

/** What kind of source a path is: a folder, or an archive recognised by its first bytes. */
export async function sourceKind(path: string): Promise<SourceKind> {
  if (statSync(path).isDirectory()) return 'folder'
  const head = new Uint8Array(await Bun.file(path).slice(0, 512).arrayBuffer())
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return 'zip'
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz'
  if (head.length >= 262 && String.fromCharCode(...head.slice(257, 262)) === 'ustar') return 'tar'
  throw new SourceError(`${path}: not a folder, zip, tar or tar.gz archive`)
}

/** Every regular file under a folder; symlinks are not followed (they could point anywhere). */
async function* folderEntries(root: string): AsyncGenerator<SourceEntry> {
  const walk = function* (dir: string): Generator<string> {
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, d.name)
      if (d.isDirectory()) yield* walk(p)
      else if (d.isFile() && lstatSync(p).isFile()) yield p
    }
  }
  for (const p of walk(root)) yield { name: relative(root, p), path: p, open: async () => createReadStream(p) }
}

// The archive readers are loaded by the sources that need them: a folder import never does.
async function openZip(path: string): Promise<yauzl.ZipFile> {
  const { default: yauzl } = await import('yauzl')
  return new Promise((resolve, reject) =>
    // decodeStrings off: yauzl would abort the whole zip on one `../` name; we refuse that member and go on.
    yauzl.open(path, { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: false }, (err, zip) =>
      err || !zip ? reject(new SourceError(`${path}: not a readable zip (${err?.message})`)) : resolve(zip),
    ),
  )
}

/** Zip members from the central directory, read one at a time from the file on disk (never loaded whole). */
async function* zipEntries(path: string): AsyncGenerator<SourceEntry> {
  const zip = await openZip(path)
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
        zip.once('entry', resolve)
        zip.once('end', () => resolve(undefined))
        zip.once('error', reject)
        zip.readEntry()
      })
      zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error')
      if (!entry) return
      const raw = entry.fileName as unknown as Buffer
      const name = raw.toString(entry.generalPurposeBitFlag & 0x800 ? 'utf8' : 'latin1')
      if (name.endsWith('/')) continue
      yield {
        name,
        open: () =>
          new Promise<Readable>((resolve, reject) =>
            zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(err ?? new Error('no stream')) : resolve(stream))),
          ),
      }
    }
  } finally {
    zip.close()
  }
}

/** tar and tar.gz members, streamed: each entry must be consumed before the next one arrives. */
async function* tarEntries(path: string, gz: boolean): AsyncGenerator<SourceEntry> {
  const [{ default: tar }, { createGunzip }] = await Promise.all([import('tar-stream'), import('node:zlib')])
  const extract = tar.extract()
  const input = createReadStream(path)
  ;(gz ? input.pipe(createGunzip()) : input).pipe(extract)
  for await (const entry of extract as unknown as AsyncIterable<TarEntry>) {
    const { name, type } = entry.header
    if (type !== 'file') {
      entry.resume()
      continue
    }
    yield { name, open: async () => entry }
    entry.resume() // drains it if the consumer did not read it (skipped entry)
  }
}

export async function* sourceEntries(path: string): AsyncGenerator<SourceEntry> {
  const kind = await sourceKind(path)
  if (kind === 'folder') yield* folderEntries(path)
  else if (kind === 'zip') yield* zipEntries(path)
  else yield* tarEntries(path, kind === 'tar.gz')
}

/** Counts unpacked bytes against the limits; throws SourceError when a bomb or a runaway source is detected. */
export class UnpackBudget {
  private unpacked = 0
  constructor(
    private readonly packedBytes: number,
    private readonly limits: SourceLimits = DEFAULT_LIMITS,
  ) {}
  add(n: number): void {
    this.unpacked += n
    if (this.unpacked > this.limits.maxTotalBytes)
      throw new SourceError(`the source unpacks to more than ${this.limits.maxTotalBytes / 1e9} GB; import it in parts`)
    if (this.packedBytes > 0 && this.unpacked > this.limits.ratioAfterBytes && this.unpacked / this.packedBytes > this.limits.maxRatio)
      throw new SourceError(`the archive unpacks to more than ${this.limits.maxRatio} times its size: refused as a zip bomb`)
  }
  get total(): number {
    return this.unpacked
  }
}
