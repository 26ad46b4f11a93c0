import { UsageError } from '../../core/errors'

/**
 * The seed's filter-bar language, parsed once into a tree that compile-filter.ts turns into parameterised SQL.
 *
 *   input    := group (WS group)*            groups are OR-ed ("A B": A or B)
 *   group    := term ('&' term)*             terms joined by `&` must all hold; `&` binds tighter than a space
 *   term     := ATTR ':' value | value       ATTR is STAG, PTAG, FTAG, JOB or SDESC (any letter case)
 *
 * - Every value is a pattern with an implicit trailing wildcard: `*` is any run of characters, `_` exactly one;
 *   every other character (`%`, `!`, `'`, `\`, ...) matches only itself. Matching ignores letter case.
 * - Double quotes group a value that holds spaces or `&`: `"MPR t1*"`, `STAG:"two words"`. Wildcards keep their
 *   meaning inside quotes. A quoted prefix is not an attribute: `"STAG:x"` searches the text `STAG:x`. A quote left
 *   open runs to the end of the input (the bars are typed live, so half-typed input must not be an error).
 * - `&` need not be surrounded by spaces (`a&b`). A stray `&` (leading, trailing, doubled) is ignored, as are
 *   empty values (`""`). Empty input is no condition: everything matches.
 * - `JOB:` takes q (queued), r (running) or e (error), or the words themselves; `JOB:` alone is any job.
 *
 * Because there are no parentheses the tree is always an OR of AND-groups.
 */

export type Attribute = 'STAG' | 'PTAG' | 'FTAG' | 'SDESC'
export type JobState = 'q' | 'r' | 'e'

export type FilterTerm =
  /** A plain term: its meaning depends on the bar (a column prefix, or a file pattern). */
  | { kind: 'text'; pattern: string }
  /** A special attribute whose value is a pattern (tag or study description). */
  | { kind: 'attr'; attr: Attribute; pattern: string }
  /** `JOB:q|r|e`; `state` undefined for `JOB:` alone (any job). */
  | { kind: 'job'; state?: JobState }

/** OR of AND-groups. `anyOf: []` means no condition. */
export interface FilterTree {
  anyOf: FilterTerm[][]
}

/** Longest filter a bar accepts, and most terms: beyond that the SQL would only be slow, never useful. */
export const MAX_FILTER_LENGTH = 4000
export const MAX_FILTER_TERMS = 100

const ATTRIBUTES = ['STAG', 'PTAG', 'FTAG', 'SDESC', 'JOB'] as const
const JOB_WORDS: Record<string, JobState> = { q: 'q', queued: 'q', r: 'r', running: 'r', e: 'e', error: 'e' }

interface Segment {
  text: string
  quoted: boolean
}
type Token = { kind: 'and' } | { kind: 'term'; segments: Segment[] }

function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let segments: Segment[] = []
  let current = ''
  let quoted = false
  let inQuote = false
  const endSegment = () => {
    if (current !== '' || quoted) segments.push({ text: current, quoted })
    current = ''
    quoted = false
  }
  const endTerm = () => {
    endSegment()
    if (segments.some((s) => s.text !== '')) tokens.push({ kind: 'term', segments })
    segments = []
  }
  for (const ch of input) {
    if (inQuote) {
      if (ch === '"') {
        inQuote = false
        endSegment()
      } else current += ch
    } else if (ch === '"') {
      endSegment()
      inQuote = true
      quoted = true
    } else if (/\s/u.test(ch)) {
      endTerm()
    } else if (ch === '&') {
      endTerm()
      tokens.push({ kind: 'and' })
    } else current += ch
  }
  endTerm()
  return tokens
}

function toTerm(segments: Segment[]): FilterTerm | undefined {
  const first = segments[0]!
  if (!first.quoted) {
    const colon = first.text.indexOf(':')
    const name = colon > 0 ? first.text.slice(0, colon).toUpperCase() : ''
    if ((ATTRIBUTES as readonly string[]).includes(name)) {
      const value = first.text.slice(colon + 1) + segments.slice(1).map((s) => s.text).join('')
      if (name === 'JOB') {
        if (value === '') return { kind: 'job' }
        const state = JOB_WORDS[value.toLowerCase()]
        if (!state) throw new UsageError(`JOB:${value} is not a job state; use JOB:q (queued), JOB:r (running) or JOB:e (error)`)
        return { kind: 'job', state }
      }
      return { kind: 'attr', attr: name as Attribute, pattern: value }
    }
  }
  return { kind: 'text', pattern: segments.map((s) => s.text).join('') }
}

/** Parses one filter bar. Throws UsageError for input no bar could mean (over-long, NUL, unknown JOB state). */
export function parseFilter(input: string): FilterTree {
  if (input.length > MAX_FILTER_LENGTH) throw new UsageError(`the filter is ${input.length} characters long; at most ${MAX_FILTER_LENGTH} are accepted`)
  if (input.includes('\0')) throw new UsageError('the filter contains a NUL character')
  const anyOf: FilterTerm[][] = []
  let group: FilterTerm[] = []
  let joined = false // an `&` came since the last term
  let count = 0
  for (const token of tokenize(input)) {
    if (token.kind === 'and') {
      joined = group.length > 0
      continue
    }
    const term = toTerm(token.segments)
    if (!term) continue
    if (++count > MAX_FILTER_TERMS) throw new UsageError(`the filter has more than ${MAX_FILTER_TERMS} terms; narrow it down`)
    if (group.length > 0 && !joined) {
      anyOf.push(group)
      group = []
    }
    group.push(term)
    joined = false
  }
  if (group.length > 0) anyOf.push(group)
  return { anyOf }
}
