import { existsSync, realpathSync, rmSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { PathError } from './errors'

/**
 * The one way a value from outside (a DICOM element, a zip member, an upload's file name, a URL segment) becomes
 * part of a path. Every such value is one segment: never "", "." or "..", no "/" or "\", no NUL or other control
 * characters, at most 255 bytes. The joined result is proven to lie strictly inside its root.
 */

const MAX_SEGMENT_BYTES = 255

/** Why `value` cannot be one path segment, or undefined when it can. */
export function segmentProblem(value: string): string | undefined {
  if (value === '') return 'is empty'
  if (value === '.' || value === '..') return `is "${value}"`
  if (/[/\\]/.test(value)) return 'contains a path separator'
  if (/[\0-\x1f\x7f]/.test(value)) return 'contains a NUL or control character'
  if (Buffer.byteLength(value) > MAX_SEGMENT_BYTES) return `is longer than ${MAX_SEGMENT_BYTES} bytes`
  return undefined
}

/** `value` unchanged when it is a safe segment; else a PathError naming `what` and why. */
export function safeSegment(value: string, what = 'name'): string {
  const problem = segmentProblem(value)
  if (problem) throw new PathError(`${what} ${JSON.stringify(value.slice(0, 80))} ${problem}; it cannot be used as a file or folder name`)
  return value
}

/**
 * A relative path from outside (a zip member "a/b/c.dcm"): every segment must be safe on its own. Empty segments
 * from doubled slashes and a trailing slash are dropped; "." and ".." are refused, not resolved.
 */
export function safeRelativeSegments(relPath: string, what = 'path'): string[] {
  if (isAbsolute(relPath) || /^[A-Za-z]:/.test(relPath)) throw new PathError(`${what} ${JSON.stringify(relPath.slice(0, 120))} is absolute; only relative names are accepted`)
  const parts = relPath.split(/[/\\]+/).filter((p) => p !== '')
  if (parts.length === 0) throw new PathError(`${what} ${JSON.stringify(relPath)} is empty`)
  for (const p of parts) {
    const problem = segmentProblem(p)
    if (problem) throw new PathError(`${what} ${JSON.stringify(relPath.slice(0, 120))}: segment ${JSON.stringify(p.slice(0, 40))} ${problem}`)
  }
  return parts
}

/** True when `child` (already resolved) is strictly below `root` (already resolved): not equal, not outside. */
function strictlyBelow(root: string, child: string): boolean {
  const rel = relative(root, child)
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel)
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (for paths not yet created). */
export function realish(p: string): string {
  const abs = resolve(p)
  if (existsSync(abs)) return realpathSync(abs)
  const parent = dirname(abs)
  if (parent === abs) return abs
  return join(realish(parent), basename(abs))
}

/**
 * `root` joined with each of `segments`, every segment checked by safeSegment, and the result proven strictly
 * inside `root` both lexically and after following symlinks of the parts that exist.
 */
export function safeJoin(root: string, ...segments: string[]): string {
  if (segments.length === 0) throw new PathError('safeJoin needs at least one segment')
  for (const s of segments) safeSegment(s)
  const out = join(resolve(root), ...segments)
  assertStrictlyInside(root, out)
  return out
}

/** Throws unless `path` lies strictly inside `root` (lexically and through symlinks). */
export function assertStrictlyInside(root: string, path: string, what = 'path'): void {
  const r = resolve(root)
  const p = resolve(path)
  if (!strictlyBelow(r, p)) throw new PathError(`${what} ${p} is not inside ${r}`)
  const realRoot = realish(r)
  const realP = realish(p)
  if (!strictlyBelow(realRoot, realP)) throw new PathError(`${what} ${p} (really ${realP}) is not inside ${realRoot}`)
}

/**
 * The only recursive delete for data folders: removes `path` after proving, at the call, that it lies strictly
 * inside `root`. A path equal to the root, above it, or leaving it through a symlink throws instead.
 */
export function removeInside(root: string, path: string): void {
  assertStrictlyInside(root, path, 'refusing to delete')
  rmSync(path, { recursive: true, force: true })
}
