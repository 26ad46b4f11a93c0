import { UsageError } from '../core/errors'
import { LIKE_ESCAPE } from '../store/db'

/**
 * The seed's file patterns: `subfolder/filename` with `*` (any run of characters) and `_` (exactly one).
 * They compile to SQL LIKE with `!` as the escape character (the same spelling in SQLite and MySQL), so a
 * literal `%` or `!` in a pattern matches only itself.
 */
export function filePatternToLike(pattern: string): string {
  let out = ''
  for (const ch of pattern) {
    if (ch === '*') out += '%'
    else if (ch === '%' || ch === '!') out += `${LIKE_ESCAPE}${ch}`
    else out += ch // `_` keeps its LIKE meaning: exactly one character
  }
  return out
}

/** Plain text to a LIKE operand that matches it literally, as prefix (the filter bars' implicit trailing wildcard). */
export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `${LIKE_ESCAPE}${c}`)
}

export interface StudyRef {
  patientsId?: string
  studiesId?: string
}

export interface ParsedPattern extends StudyRef {
  /** The part that applies to a file's path inside its study. */
  path: string
}

/**
 * Splits an optional study reference `PID#SID/` or `PID/` (recognised by its `#`, or when `--psid` is
 * given separately) from the file part, and checks the file part is a relative path that stays inside
 * a study folder.
 */
export function parseFilePattern(pattern: string): ParsedPattern {
  checkRelative(pattern, 'file pattern')
  const first = pattern.split('/')[0]!
  if (first.includes('#')) {
    const [pid, sid, more] = first.split('#') as [string, string, string?]
    if (more !== undefined) throw new UsageError(`file pattern "${pattern}": "${first}" is not PATIENTS_ID#STUDIES_ID (one "#" only)`)
    const rest = pattern.slice(first.length + 1)
    if (!rest) throw new UsageError(`file pattern "${pattern}": nothing after the study reference "${first}/"`)
    return { patientsId: pid || undefined, studiesId: sid || undefined, path: rest }
  }
  return { path: pattern }
}

export function checkRelative(path: string, what: string): void {
  if (!path) throw new UsageError(`${what} is empty`)
  if (path.includes('\0')) throw new UsageError(`${what} "${path}" contains a NUL byte`)
  if (path.startsWith('/')) throw new UsageError(`${what} "${path}" must be relative to the study folder, not absolute`)
  if (path.split('/').some((seg) => seg === '..' || seg === '.'))
    throw new UsageError(`${what} "${path}" must not contain "." or ".." segments`)
}

/** Splits `PID` or `PID#SID`. */
export function parsePsid(psid: string): { patientsId: string; studiesId?: string } {
  const [pid, sid, more] = psid.split('#')
  if (!pid || more !== undefined || sid === '') throw new UsageError(`"${psid}" is not PATIENTS_ID or PATIENTS_ID#STUDIES_ID`)
  return { patientsId: pid, studiesId: sid }
}
