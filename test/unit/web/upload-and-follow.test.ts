import { afterAll, expect, test } from 'bun:test'
import { dropTarget, humanSize, looksDicomOnly } from '../../../src/web/desktop/drop-target'
import { followImport, importShort, importSummary, parseBody, refusal, type ImportState } from '../../../src/web/shared/upload-and-follow'

// A real HTTP server answering an import's states in turn: queued, running, done.
const states: ImportState[] = [
  { id: 7, state: 'queued', phase: 'wait', done: 0, total: 0 },
  { id: 7, state: 'running', phase: 'convert', done: 1, total: 2, counts: { series: 1, errors: 0 } },
  { id: 7, state: 'done', phase: 'finished', done: 2, total: 2, counts: { patients: 1, studies: 1, series: 2, instances: 40, skipped: 0, errors: 0 } },
]
let asked = 0
const server = Bun.serve({ port: 0, fetch: () => Response.json(states[Math.min(asked++, states.length - 1)]) })
afterAll(() => server.stop(true))

test('followImport polls while queued or running and resolves with the final state', async () => {
  const seen: string[] = []
  const last = await followImport(`http://127.0.0.1:${server.port}/api/imports/7`, (s) => seen.push(s.state), 10)
  expect(seen).toEqual(['queued', 'running', 'done'])
  expect(last.state).toBe('done')
  expect(importSummary(last)).toBe('import 7: done (finished) 2/2 series; 1 patients, 1 studies, 2 series, 40 instances, 0 skipped, 0 errors')
  expect(importShort(states[1]!)).toBe('import 7: running (convert) 1 series, 0 errors')
  expect(importSummary(states[0]!)).toContain('0/? series')
})

test('followImport rejects when the state is not readable', async () => {
  const bad = Bun.serve({ port: 0, fetch: () => new Response('<html>', { status: 502 }) })
  try {
    await expect(followImport(`http://127.0.0.1:${bad.port}/x`, () => undefined, 10)).rejects.toThrow()
  } finally {
    bad.stop(true)
  }
})

test('answers and refusals', () => {
  expect(parseBody('{"id":3,"status":"/api/imports/3"}')).toEqual({ id: 3, status: '/api/imports/3' })
  expect(parseBody('Bad Gateway')).toEqual({})
  expect(refusal({ status: 403, statusText: 'Forbidden', body: { error: 'needs the write right' } })).toBe('(403): needs the write right')
  expect(refusal({ status: 502, statusText: 'Bad Gateway', body: {} })).toBe('(502): Bad Gateway')
})

test('drop targets, DICOM guess and sizes', () => {
  expect(dropTarget(true, '', '')).toEqual({ native: true })
  expect(dropTarget(false, ' P1#S1 ', ' sub ')).toEqual({ native: false, psid: 'P1#S1', folder: 'sub' })
  expect(dropTarget(false, 'P1', '')).toContain('PATIENTS_ID#STUDIES_ID')
  expect(looksDicomOnly(['a.dcm', 'b.ZIP', 'c.tar.gz', 'IM0001'])).toBe(true)
  expect(looksDicomOnly(['a.dcm', 't1.nii.gz'])).toBe(false)
  expect([humanSize(1000), humanSize(1536), humanSize(3 * 1048576)]).toEqual(['1000 B', '1.5 KB', '3.0 MB'])
})
