import type { FilterBar, FilterBars } from '../archive/filter/compile-filter'
import { UsageError } from '../core/errors'

/**
 * The seed's `SQLCondition` of a reading mode (`"STAG LIKE '%Training%'"`), without ever running it as SQL: the simple
 * forms are parsed here, translated to the filter-bar language (which the archive's filter compiler turns into
 * parameterised SQL), and the selected rows are then checked against the parsed condition exactly (`matches`), since
 * the bars are a little wider (their implicit trailing wildcard, `=` read as a prefix).
 *
 *   condition  := or
 *   or         := and ('OR' and)*
 *   and        := primary ('AND' primary)*
 *   primary    := '(' or ')' | FIELD op 'value'
 *   op         := LIKE | NOT LIKE | = | != | <>
 *
 * FIELD is STAG, PTAG (a study's / patient's tags: true when one tag matches), SDESC, or a patient/study column
 * (PatientID, PatientName, PatientBirthDate, StudyID, StudyDate, StudyDescription, Modality, or the table's own
 * names patients_id, name, birth_date, studies_id, study_date, description, modality). Values are single-quoted
 * (`''` is a quote); LIKE takes `%` and `_`. A negation (NOT LIKE, !=, <>) is accepted on STAG and PTAG only, as a
 * condition AND-ed at the top (`STAG NOT LIKE '%Training%'`: the serious cases are those not tagged for training).
 * Everything else (other fields, functions, sub-selects, `;`, comments, IN, <, >) is refused with the filter-bar form
 * to write instead.
 */

export type Field = 'STAG' | 'PTAG' | 'patients_id' | 'name' | 'birth_date' | 'studies_id' | 'study_date' | 'description' | 'modality'
export type Op = 'like' | 'eq'

export interface Leaf {
  kind: 'leaf'
  field: Field
  op: Op
  negated: boolean
  value: string
}
export type Condition = Leaf | { kind: 'and' | 'or'; parts: Condition[] }

/** What a study row has that a condition looks at (the study table's row). */
export interface ConditionRow {
  patients_id: string
  name: string
  birth_date: string
  studies_id: string | null
  study_date: string | null
  description: string | null
  modality: string | null
  tags: string[]
  subject_tags: string[]
}

export interface TranslatedCondition {
  /** The condition as parsed (for `matches`). */
  condition: Condition
  /** The filter bars that select (a superset of) the rows. */
  bars: FilterBars
  /** The bars as a user would type them (for messages and the README's examples). */
  filterText: string
}

const FIELDS: Record<string, Field> = {
  stag: 'STAG',
  ptag: 'PTAG',
  sdesc: 'description',
  patientid: 'patients_id',
  patients_id: 'patients_id',
  piz: 'patients_id',
  patientname: 'name',
  name: 'name',
  patientbirthdate: 'birth_date',
  birth_date: 'birth_date',
  studyid: 'studies_id',
  studies_id: 'studies_id',
  sid: 'studies_id',
  studydate: 'study_date',
  study_date: 'study_date',
  studydescription: 'description',
  description: 'description',
  modality: 'modality',
}

const ACCEPTED = "FIELD LIKE 'pattern', FIELD = 'value', joined by AND / OR, with parentheses; FIELD is STAG, PTAG, SDESC, PatientID, PatientName, PatientBirthDate, StudyID, StudyDate, StudyDescription or Modality"
const EXAMPLE = '"filter": "STAG:*Training" (a study tag containing Training), "STAG:*Training & SDESC:*thorax" (both), "STAG:a STAG:b" (either)'

function refuse(sql: string, why: string): never {
  throw new UsageError(`SQLCondition "${sql.slice(0, 200)}": ${why}. nora never runs SQL from a reading; it accepts ${ACCEPTED}. Otherwise write the condition in the filter-bar language, e.g. ${EXAMPLE}`)
}

type Token = { t: 'word'; v: string; at: number } | { t: 'str'; v: string; at: number } | { t: 'op'; v: string; at: number } | { t: '(' | ')'; at: number }

function tokenize(sql: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === '(' || c === ')') {
      out.push({ t: c, at: i++ })
      continue
    }
    if (c === "'") {
      let v = ''
      let j = i + 1
      for (;;) {
        if (j >= sql.length) refuse(sql, `the quote opened at position ${i + 1} is not closed`)
        if (sql[j] === "'") {
          if (sql[j + 1] === "'") {
            v += "'"
            j += 2
            continue
          }
          break
        }
        v += sql[j++]
      }
      out.push({ t: 'str', v, at: i })
      i = j + 1
      continue
    }
    const two = sql.slice(i, i + 2)
    if (two === '!=' || two === '<>') {
      out.push({ t: 'op', v: '!=', at: i })
      i += 2
      continue
    }
    if (c === '=') {
      out.push({ t: 'op', v: '=', at: i++ })
      continue
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))
    if (word) {
      out.push({ t: 'word', v: word[0], at: i })
      i += word[0].length
      continue
    }
    const num = /^-?[0-9]+(\.[0-9]+)?/.exec(sql.slice(i))
    if (num) {
      out.push({ t: 'str', v: num[0], at: i })
      i += num[0].length
      continue
    }
    refuse(sql, `"${sql.slice(i, i + 12)}" at position ${i + 1} is not part of the accepted forms`)
  }
  return out
}

/** Parses an SQLCondition of the accepted forms; UsageError (with the filter-bar form to write) otherwise. */
export function parseCondition(sql: string): Condition {
  if (typeof sql !== 'string' || !sql.trim()) refuse(String(sql ?? ''), 'it is empty; leave SQLCondition out to select every study')
  if (sql.length > 2000) refuse(sql, 'it is longer than 2000 characters')
  const tokens = tokenize(sql)
  let pos = 0
  const peek = () => tokens[pos]
  const word = (w: string) => {
    const t = peek()
    return t?.t === 'word' && t.v.toUpperCase() === w
  }
  const where = () => {
    const t = peek()
    return t ? `at position ${t.at + 1}` : 'at the end'
  }
  const or = (): Condition => {
    const parts = [and()]
    while (word('OR')) {
      pos++
      parts.push(and())
    }
    return parts.length === 1 ? parts[0]! : { kind: 'or', parts }
  }
  const and = (): Condition => {
    const parts = [primary()]
    while (word('AND')) {
      pos++
      parts.push(primary())
    }
    return parts.length === 1 ? parts[0]! : { kind: 'and', parts }
  }
  const primary = (): Condition => {
    const t = peek()
    if (!t) refuse(sql, 'it ends where a condition should follow')
    if (t.t === '(') {
      pos++
      const inner = or()
      if (peek()?.t !== ')') refuse(sql, `a ")" is missing ${where()}`)
      pos++
      return inner
    }
    if (t.t !== 'word') refuse(sql, `a field name should come ${where()}`)
    const field = FIELDS[t.v.toLowerCase()]
    if (!field) {
      const up = t.v.toUpperCase()
      if (['SELECT', 'UNION', 'EXISTS', 'NOT', 'IN', 'FROM', 'WHERE', 'CASE', 'NULL', 'IS'].includes(up)) refuse(sql, `"${t.v}" ${where()} is SQL beyond the accepted forms`)
      refuse(sql, `"${t.v}" ${where()} is not a field nora knows`)
    }
    pos++
    let negated = false
    let op: Op
    const o = peek()
    if (o?.t === 'op') {
      op = 'eq'
      negated = o.v === '!='
      pos++
    } else if (word('LIKE')) {
      op = 'like'
      pos++
    } else if (word('NOT')) {
      pos++
      if (!word('LIKE')) refuse(sql, `NOT is accepted only as NOT LIKE (${where()})`)
      op = 'like'
      negated = true
      pos++
    } else refuse(sql, `after ${t.v} comes LIKE, NOT LIKE, =, != or <> (${where()})`)
    const v = peek()
    if (v?.t !== 'str') refuse(sql, `a quoted value should come ${where()}`)
    pos++
    return { kind: 'leaf', field, op, negated, value: v.v }
  }
  const cond = or()
  if (pos < tokens.length) refuse(sql, `"${sql.slice(tokens[pos]!.at, tokens[pos]!.at + 20)}" ${where()} is not part of the accepted forms`)
  return cond
}

// ---- exact evaluation on a row --------------------------------------------------------------------------------

function likeRegex(pattern: string): RegExp {
  let re = ''
  for (const ch of pattern) re += ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  return new RegExp(`^${re}$`, 'is')
}

function leafHolds(leaf: Leaf, row: ConditionRow): boolean {
  const test = (s: string | null) => (s === null ? false : leaf.op === 'like' ? likeRegex(leaf.value).test(s) : s.toLowerCase() === leaf.value.toLowerCase())
  let hit: boolean
  if (leaf.field === 'STAG') hit = row.tags.some(test)
  else if (leaf.field === 'PTAG') hit = row.subject_tags.some(test)
  else hit = test(row[leaf.field])
  return leaf.negated ? !hit : hit
}

/** Whether a row satisfies the condition exactly (LIKE and = ignore letter case, as MySQL's collation does). */
export function matches(cond: Condition, row: ConditionRow): boolean {
  if (cond.kind === 'leaf') return leafHolds(cond, row)
  return cond.kind === 'and' ? cond.parts.every((p) => matches(p, row)) : cond.parts.some((p) => matches(p, row))
}

// ---- translation to filter bars --------------------------------------------------------------------------------

type Group = Leaf[]
const MAX_TERMS = 100

function dnf(c: Condition, sql: string): Group[] {
  if (c.kind === 'leaf') return [[c]]
  if (c.kind === 'or') return c.parts.flatMap((p) => dnf(p, sql))
  let acc: Group[] = [[]]
  for (const p of c.parts) {
    const d = dnf(p, sql)
    const next: Group[] = []
    for (const a of acc) for (const b of d) next.push([...a, ...b])
    if (next.reduce((n, g) => n + g.length, 0) > MAX_TERMS) refuse(sql, `written out as filter terms it has more than ${MAX_TERMS}; simplify it`)
    acc = next
  }
  return acc
}

/** A LIKE (or =) value as a filter pattern: `%` -> `*`, `_` kept; quoted when it holds spaces, `&` or `:`. */
function patternOf(leaf: Leaf, sql: string): string {
  if (leaf.value.includes('"')) refuse(sql, 'a value with a double quote cannot be written in the filter bars')
  let p = leaf.op === 'like' ? leaf.value.replace(/%+/g, '*') : leaf.value.replace(/%/g, '*')
  if (p === '') p = '*'
  return /[\s&:"]/.test(p) ? `"${p}"` : p
}

const ATTR: Partial<Record<Field, string>> = { STAG: 'STAG', PTAG: 'PTAG', description: 'SDESC' }

function termOf(leaf: Leaf, sql: string): string {
  const attr = ATTR[leaf.field]
  return attr ? `${attr}:${patternOf(leaf, sql)}` : patternOf(leaf, sql)
}

/** The column a leaf needs its own bar for (undefined for STAG, PTAG and SDESC, which any bar takes). */
const columnOf = (leaf: Leaf): Exclude<FilterBar, 'q' | 'file'> | undefined => (ATTR[leaf.field] ? undefined : (leaf.field as Exclude<FilterBar, 'q' | 'file'>))

function conjuncts(c: Condition): Condition[] {
  return c.kind === 'and' ? c.parts.flatMap(conjuncts) : [c]
}

function hasNegation(c: Condition): boolean {
  return c.kind === 'leaf' ? c.negated : c.parts.some(hasNegation)
}

/** Parses and translates an SQLCondition (see the file's comment). */
export function translateCondition(sql: string): TranslatedCondition {
  const condition = parseCondition(sql)
  const positive: Condition[] = []
  for (const c of conjuncts(condition)) {
    if (c.kind === 'leaf' && c.negated) {
      if (c.field !== 'STAG' && c.field !== 'PTAG') refuse(sql, `a negation (NOT LIKE, !=, <>) works on STAG and PTAG only, not on ${c.field}`)
      continue // checked on the rows by `matches`; no bar can say "not"
    }
    if (hasNegation(c)) refuse(sql, 'a negation (NOT LIKE, !=, <>) is accepted only as a condition AND-ed with the rest, not inside OR or parentheses')
    positive.push(c)
  }
  // Each top-level conjunct goes to the bar of the one column it names (bars are AND-ed); a conjunct naming two
  // columns cannot be written (a bar's OR is over its own column and the tag/description attributes only).
  const byBar = new Map<FilterBar, Group[]>()
  for (const c of positive) {
    const groups = dnf(c, sql)
    const columns = new Set(groups.flat().map(columnOf).filter((x) => x !== undefined))
    if (columns.size > 1)
      refuse(sql, `"${[...columns].join('" and "')}" are combined with OR; the filter bars are AND-ed with each other and cannot say that (tag those cases, e.g. STAG:reading1, and select by the tag)`)
    const bar: FilterBar = columns.size === 1 ? [...columns][0]! : 'q'
    const before = byBar.get(bar)
    if (!before) byBar.set(bar, groups)
    else {
      const product: Group[] = []
      for (const a of before) for (const b of groups) product.push([...a, ...b])
      byBar.set(bar, product)
    }
  }
  // Attribute-only conditions need no bar of their own: they join the one column bar when there is exactly one.
  const q = byBar.get('q')
  const columnBars = [...byBar.keys()].filter((b) => b !== 'q')
  if (q && columnBars.length === 1) {
    const bar = columnBars[0]!
    const product: Group[] = []
    for (const a of byBar.get(bar)!) for (const b of q) product.push([...a, ...b])
    byBar.set(bar, product)
    byBar.delete('q')
  }
  const bars: FilterBars = {}
  const shown: string[] = []
  for (const [bar, groups] of byBar) {
    if (groups.reduce((n, g) => n + g.length, 0) > MAX_TERMS) refuse(sql, `written out as filter terms it has more than ${MAX_TERMS}; simplify it`)
    const text = groups.map((g) => g.map((l) => termOf(l, sql)).join(' & ')).join(' ')
    bars[bar] = text
    shown.push(bar === 'q' ? text : `${bar}: ${text}`)
  }
  const negations = conjuncts(condition).filter((c): c is Leaf => c.kind === 'leaf' && c.negated)
  for (const n of negations) shown.push(`without ${n.field}:${patternOf({ ...n, negated: false }, sql)}`)
  return { condition, bars, filterText: shown.join(' ; ') || '(every study)' }
}
