// The reading order: none (sort order), full (seeded: a new order per session, the same for the same seed), idhash
// (a hash of the StudyID: the same for every user and session), per patient/study/image, repetitions later, stages.
import { describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { caseOrder, type CaseRef, type OrderSettings } from '../../../src/reading/case-order'

const studies: CaseRef[] = Array.from({ length: 12 }, (_, i) => ({ caseKey: `P${i % 4}#S${i}`, patientsId: `P${i % 4}`, studiesId: `S${i}` }))
const sorted = [...studies].sort((a, b) => (a.patientsId < b.patientsId ? -1 : a.patientsId > b.patientsId ? 1 : 0))
const set = (o: Partial<OrderSettings> = {}): OrderSettings => ({ random: 'none', randomise: 'study', repetitions: 1, stages: 1, ...o })
const keys = (slots: { caseKey: string }[]) => slots.map((s) => s.caseKey)

describe('case order', () => {
  test('none keeps the sort order', () => {
    expect(keys(caseOrder(sorted, set(), 1))).toEqual(sorted.map((c) => c.caseKey))
  })

  test('idhash: the same order for any seed (user, session); sorted by a SHA-256 of the StudyID computed here', () => {
    const a = keys(caseOrder(sorted, set({ random: 'idhash' }), 1))
    const b = keys(caseOrder(sorted, set({ random: 'idhash' }), 987654321))
    const c = keys(caseOrder([...sorted].reverse(), set({ random: 'idhash' }), 5))
    expect(b).toEqual(a)
    expect(c).toEqual(a)
    const h = (sid: string) => createHash('sha256').update(`${sid}|1`).digest('hex').slice(0, 13)
    expect(a).toEqual([...sorted].sort((x, y) => (h(x.studiesId) < h(y.studiesId) ? -1 : 1)).map((x) => x.caseKey))
    expect(a).not.toEqual(sorted.map((x) => x.caseKey))
  })

  test('full: reproducible with the same seed, different between sessions (seeds)', () => {
    const one = keys(caseOrder(sorted, set({ random: 'full' }), 42))
    expect(keys(caseOrder(sorted, set({ random: 'full' }), 42))).toEqual(one)
    const others = [1, 2, 3, 4, 5].map((seed) => keys(caseOrder(sorted, set({ random: 'full' }), seed)).join())
    expect(new Set([one.join(), ...others]).size).toBe(6)
    for (const o of [one, ...others.map((x) => x.split(','))]) expect([...o].sort()).toEqual(sorted.map((x) => x.caseKey).sort())
  })

  test('per patient: a patient\'s studies stay together, in sort order', () => {
    for (const random of ['full', 'idhash'] as const) {
      const order = caseOrder(sorted, set({ random, randomise: 'patient' }), 7)
      const pids = order.map((s) => s.caseKey.split('#')[0])
      const runs = pids.filter((p, i) => i === 0 || pids[i - 1] !== p)
      expect(runs.length).toBe(4)
      expect(new Set(runs).size).toBe(4)
      for (const p of runs) expect(order.filter((s) => s.caseKey.startsWith(`${p}#`)).map((s) => s.caseKey)).toEqual(sorted.filter((c) => c.patientsId === p).map((c) => c.caseKey))
    }
  })

  test('per image: images of one study are shuffled apart', () => {
    const images: CaseRef[] = ['a.nii', 'b.nii', 'c.nii', 'd.nii', 'e.nii', 'f.nii'].map((f) => ({ caseKey: `P1#S1#${f}`, patientsId: 'P1', studiesId: 'S1', image: f }))
    const order = keys(caseOrder(images, set({ random: 'idhash', randomise: 'image' }), 1))
    expect([...order].sort()).toEqual(images.map((i) => i.caseKey))
    expect(order).not.toEqual(images.map((i) => i.caseKey))
  })

  test('repetitions: every case again, all of repetition 2 after repetition 1, never the same case twice in a row', () => {
    for (const random of ['none', 'full', 'idhash'] as const)
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const order = caseOrder(sorted, set({ random, repetitions: 3 }), seed)
        expect(order.length).toBe(36)
        expect(order.map((s) => s.repetition)).toEqual([...Array(12).fill(1), ...Array(12).fill(2), ...Array(12).fill(3)])
        for (const r of [1, 2, 3]) expect(keys(order.filter((s) => s.repetition === r)).sort()).toEqual(sorted.map((c) => c.caseKey).sort())
        for (let i = 1; i < order.length; i++) expect(order[i]!.caseKey).not.toBe(order[i - 1]!.caseKey)
      }
  })

  test('stages: each reading of a case runs through its stages one after the other', () => {
    const order = caseOrder(sorted.slice(0, 3), set({ stages: 2, repetitions: 2 }), 1)
    expect(order.map((s) => `${s.caseKey}/${s.repetition}/${s.stage}`)).toEqual([
      'P0#S0/1/1', 'P0#S0/1/2', 'P0#S4/1/1', 'P0#S4/1/2', 'P0#S8/1/1', 'P0#S8/1/2',
      'P0#S0/2/1', 'P0#S0/2/2', 'P0#S4/2/1', 'P0#S4/2/2', 'P0#S8/2/1', 'P0#S8/2/2',
    ])
  })
})
