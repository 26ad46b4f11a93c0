import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { NotFoundError, PathError } from '../core/errors'
import type { Project, User } from '../core/types'

/** A file of a project, proven to lie inside the project's folder (after following symlinks). */
export interface ProjectFile {
  /** Path inside the project, `/`-separated, as the URL named it. */
  relative: string
  /** The real path on disk (symlinks resolved). */
  real: string
  stats: Stats
}

/**
 * Splits the raw (still percent-encoded) path of a URL into decoded segments and refuses every trick that could
 * name something outside the project: `..` and `.` segments (also as `%2e%2e`), encoded separators (`%2f`, `%5c`),
 * backslashes, NUL and control characters, empty segments (`//`, absolute paths) and malformed escapes.
 */
export function decodeProjectPath(rawPath: string): string[] {
  if (rawPath === '') throw new PathError('no file named: the URL must end with a path inside the project, e.g. PATIENT/STUDY/series/s001.nii')
  const segments = rawPath.split('/')
  return segments.map((raw) => {
    let seg: string
    try {
      seg = decodeURIComponent(raw)
    } catch {
      throw new PathError(`file path segment "${raw}" is not valid percent-encoding`)
    }
    if (seg === '') throw new PathError('file path has an empty segment ("//" or a leading "/"): name a path relative to the project folder')
    if (seg === '.' || seg === '..') throw new PathError('file path must not contain "." or ".." segments: name the file by its path inside the project')
    if (/[/\\]/.test(seg)) throw new PathError('file path must not contain encoded "/" or "\\" inside a segment')
    // eslint-disable-next-line no-control-regex
    if (/[\0-\x1f\x7f]/.test(seg)) throw new PathError('file path must not contain NUL or control characters')
    return seg
  })
}

/**
 * Resolves `segments` against the project folder `root`, following symlinks, and proves the result is a regular
 * file inside the real root. A missing file is a 404; a symlink that leads out of the root is a 400.
 */
export function resolveProjectFile(root: string, segments: string[]): ProjectFile {
  const rel = segments.join('/')
  const candidate = join(root, ...segments)
  let realRoot: string
  try {
    realRoot = realpathSync(root)
  } catch {
    throw new NotFoundError(`file ${rel} not found: the project has no folder yet`)
  }
  try {
    lstatSync(candidate)
  } catch {
    throw new NotFoundError(`file ${rel} not found in the project`)
  }
  let real: string
  try {
    real = realpathSync(candidate)
  } catch {
    throw new NotFoundError(`file ${rel} not found (a symlink on its way points nowhere)`)
  }
  const inside = relative(realRoot, real)
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || inside.startsWith(sep))
    throw new PathError(`file ${rel} leads outside the project folder (through a symlink); only files inside the project are served`)
  const stats = statSync(real)
  if (!stats.isFile()) throw new NotFoundError(`${rel} is not a file (a folder or special file); name a file inside it`)
  return { relative: rel, real, stats }
}

/** Content type by name: compressed images as the gzip bytes they are (no Content-Encoding), never HTML. */
export function contentTypeOf(name: string): string {
  const n = name.toLowerCase()
  if (n.endsWith('.gz') || n.endsWith('.mgz') || n.endsWith('.tgz')) return 'application/gzip'
  if (n.endsWith('.json')) return 'application/json; charset=utf-8'
  if (n.endsWith('.txt') || n.endsWith('.log') || n.endsWith('.csv') || n.endsWith('.tsv') || n.endsWith('.bval') || n.endsWith('.bvec')) return 'text/plain; charset=utf-8'
  if (n.endsWith('.gii')) return 'application/xml'
  if (n.endsWith('.png')) return 'image/png'
  if (n.endsWith('.jpg') || n.endsWith('.jpeg')) return 'image/jpeg'
  if (n.endsWith('.zip')) return 'application/zip'
  if (n.endsWith('.tar')) return 'application/x-tar'
  if (n.endsWith('.dcm')) return 'application/dicom'
  return 'application/octet-stream'
}

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined

/**
 * One `Range: bytes=a-b` (also `a-` and `-n`) against a file of `size` bytes. Multiple ranges and other units are
 * answered with the whole file (allowed by RFC 9110); a range starting at or after the end is unsatisfiable.
 */
export function parseRange(header: string | null, size: number): ByteRange {
  if (!header) return undefined
  const m = header.trim().match(/^bytes=(\d*)-(\d*)$/i)
  if (!m) return undefined
  const [, a, b] = m as unknown as [string, string, string]
  if (a === '' && b === '') return undefined
  if (a === '') {
    const n = Number(b)
    if (n === 0) return 'unsatisfiable'
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(a)
  if (start >= size) return 'unsatisfiable'
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
  if (end < start) return undefined
  return { start, end }
}

/** What openProjectFile needs of the archive: the rights check and the project's folder. */
export interface ProjectFolders {
  open(actor: User, name: string, action: 'read'): Promise<Project>
  projectDir(project: Project): string
}

/**
 * A file of `project` that `actor` may read, named by the raw URL path inside the project. The right is checked
 * before the path is looked at, so a user without it gets 403 for every path, existing or not.
 */
export async function openProjectFile(archive: ProjectFolders, actor: User, project: string, rawPath: string): Promise<ProjectFile> {
  const p = await archive.open(actor, project, 'read')
  return resolveProjectFile(archive.projectDir(p), decodeProjectPath(rawPath))
}
