import { createHash } from 'node:crypto'

/**
 * The order in which a reader sees a reading's cases (pure). Cases come in the reading's sort order
 * (viewer.sortOrder / sortDirection); the unit that is randomised is the patient (their studies stay together, in
 * sort order), the study, or the image. Per repetition the units are ordered:
 *
 * - `none`: the sort order;
 * - `full`: shuffled by a PRNG seeded per session (a new order for each user and session; the same seed gives the same
 *   order again, for tests and audits);
 * - `idhash`: sorted by a hash of the unit's id (the StudyID for studies): random-looking but the same for every user
 *   and session.
 *
 * Repetition r+1 follows all of repetition r (the same case again, later), in an order of its own; when the block
 * boundary would show one unit twice in a row, the next block's first two units swap. Each case is read in every
 * stage, one after the other (stage 1 without AI, stage 2 with AI, ...).
 */

export type RandomKind = 'none' | 'full' | 'idhash'
export type RandomUnit = 'patient' | 'study' | 'image'

export interface CaseRef {
  /** `PID#SID` for a study, `PID#SID#series/file` for an image. */
  caseKey: string
  patientsId: string
  studiesId: string
  /** The image inside the study (image cases only). */
  image?: string
}

export interface Slot {
  caseKey: string
  repetition: number
  stage: number
}

export interface OrderSettings {
  random: RandomKind
  randomise: RandomUnit
  /** How many times each case is read (1: once). */
  repetitions: number
  /** How many stages each reading of a case has (1: one). */
  stages: number
}

/** mulberry32: a small, well-mixed 32-bit PRNG; the same seed gives the same sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Fisher-Yates with the given random source; returns a new array. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const a = [...items]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}

/** A stable hash of a text (the first 52 bits of its SHA-256), the key of `idhash`. */
export function idHash(text: string): number {
  return Number.parseInt(createHash('sha256').update(text).digest('hex').slice(0, 13), 16)
}

interface Unit {
  key: string
  /** What idhash hashes: the StudyID for a study, the PatientID for a patient, the image's path for an image. */
  hashOf: string
  cases: CaseRef[]
}

function unitsOf(cases: readonly CaseRef[], by: RandomUnit): Unit[] {
  const units = new Map<string, Unit>()
  for (const c of cases) {
    const key = by === 'patient' ? c.patientsId : by === 'study' ? `${c.patientsId}#${c.studiesId}` : c.caseKey
    const hashOf = by === 'patient' ? c.patientsId : by === 'study' ? c.studiesId : `${c.studiesId}/${c.image ?? ''}`
    const u = units.get(key)
    if (u) u.cases.push(c)
    else units.set(key, { key, hashOf, cases: [c] })
  }
  return [...units.values()]
}

/** The session's slots in reading order. `seed` is used by `full` only. */
export function caseOrder(cases: readonly CaseRef[], s: OrderSettings, seed: number): Slot[] {
  const units = unitsOf(cases, s.randomise)
  const random = prng(seed)
  const slots: Slot[] = []
  let previous: Unit | undefined
  for (let r = 1; r <= s.repetitions; r++) {
    let block: Unit[]
    if (s.random === 'full') block = shuffle(units, random)
    else if (s.random === 'idhash') {
      const keyed = units.map((u) => ({ u, h: idHash(`${u.hashOf}|${r}`) }))
      keyed.sort((a, b) => a.h - b.h || (a.u.key < b.u.key ? -1 : a.u.key > b.u.key ? 1 : 0))
      block = keyed.map((k) => k.u)
    } else block = [...units]
    if (previous && block.length > 1 && block[0]!.key === previous.key) [block[0], block[1]] = [block[1]!, block[0]!]
    for (const u of block) for (const c of u.cases) for (let stage = 1; stage <= s.stages; stage++) slots.push({ caseKey: c.caseKey, repetition: r, stage })
    previous = block[block.length - 1]
  }
  return slots
}
