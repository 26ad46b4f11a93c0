/**
 * The key sequences of `nora --exportmeta --keys`: dot-separated paths whose first part names the JSON file
 * (`META/radio1.mask.volume`, or `radio1.mask.volume`: a first part without `/` matches the file's own name too) and
 * whose other parts walk into it (object keys, array indices); `*` stands for any run of characters within a part.
 * Pure: the export service (meta-export.ts) reads the files and hands them in.
 */
import { UsageError } from '../core/errors'

/** A JSON file of a study, named by its path inside the study without `.json` (`META/radio1`, `nodeinfo`). */
export interface MetaFile {
  name: string
  json: unknown
}

/** One concrete column: the file, the key path inside it, and its value in this study. */
export interface MetaCell {
  file: string
  path: string[]
  value: unknown
}

export type KeyPattern = string[]

/** `a.b,*.mask.volume` -> [['a','b'], ['*','mask','volume']]; each needs a file part and at least one key. */
export function parseKeyPatterns(keys: string): KeyPattern[] {
  const out: KeyPattern[] = []
  for (const raw of keys.split(',')) {
    const key = raw.trim()
    if (!key) continue
    const parts = key.split('.')
    if (parts.length < 2 || parts.some((p) => p === ''))
      throw new UsageError(`key "${key}" is not FILE.KEY[.KEY...]: the first part names the JSON file (e.g. radio1 or *), the rest the keys inside it`)
    out.push(parts)
  }
  if (!out.length) throw new UsageError('--keys is empty: give FILE.KEY[.KEY...] sequences separated by commas (e.g. *.mask.volume)')
  return out
}

const globCache = new Map<string, RegExp>()
/** `*` = any run of characters; everything else literal. */
function glob(part: string): RegExp {
  let re = globCache.get(part)
  if (!re) {
    re = new RegExp(`^${part.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's')
    globCache.set(part, re)
  }
  return re
}

const basename = (name: string) => name.slice(name.lastIndexOf('/') + 1)

/** True when the file part of a key (possibly holding dots, for files like `a.b.json`) names this file. */
function fileMatches(part: string, name: string): boolean {
  const re = glob(part)
  return re.test(name) || (!part.includes('/') && re.test(basename(name)))
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The (key, child) pairs of an object or array (indices as keys); none for anything else. */
function children(v: unknown): [string, unknown][] {
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x])
  if (isObject(v)) return Object.entries(v)
  return []
}

function walk(value: unknown, parts: string[], at: string[], out: (path: string[], value: unknown) => void): void {
  if (!parts.length) return out(at, value)
  const [head, ...rest] = parts as [string, ...string[]]
  const re = glob(head)
  for (const [k, child] of children(value)) if (re.test(k)) walk(child, rest, [...at, k], out)
}

/**
 * The cells a key pattern selects in one study's files. The file part is the shortest run of leading parts that
 * names the file (so `a.b.x` finds the key `x` of `a.b.json`); the rest are matched key by key.
 */
export function selectCells(files: MetaFile[], pattern: KeyPattern): MetaCell[] {
  const cells: MetaCell[] = []
  for (const f of files) {
    for (let k = 1; k < pattern.length; k++) {
      if (!fileMatches(pattern.slice(0, k).join('.'), f.name)) continue
      walk(f.json, pattern.slice(k), [], (path, value) => cells.push({ file: f.name, path, value }))
      break
    }
  }
  return cells
}

/** Every leaf of a file (objects walked into; arrays, empty objects, strings, numbers, booleans and null are leaves). */
export function leafCells(file: MetaFile): MetaCell[] {
  const cells: MetaCell[] = []
  const visit = (v: unknown, at: string[]) => {
    if (isObject(v) && Object.keys(v).length) {
      for (const [k, child] of Object.entries(v)) visit(child, [...at, k])
    } else cells.push({ file: file.name, path: at, value: v })
  }
  if (isObject(file.json) && Object.keys(file.json).length) visit(file.json, [])
  else cells.push({ file: file.name, path: [], value: file.json })
  return cells
}

/** A column's header: `FILE.KEY.KEY` (the file alone when its whole content is the value). */
export const columnOf = (c: Pick<MetaCell, 'file' | 'path'>) => [c.file, ...c.path].join('.')

/** A value as CSV text: strings as they are, null as empty, numbers and booleans as JSON writes them, objects and arrays as compact JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  return JSON.stringify(value)
}
