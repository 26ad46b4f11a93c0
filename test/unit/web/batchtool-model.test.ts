import { expect, test } from 'bun:test'
import { parseBatch } from '../../../src/jobs/job-spec'
import { argText, batchOf, jobFromSaved, newJob, references, row, syncRows, unitWord } from '../../../src/web/pages/batchtool-model'

test('rows follow the script: generic references sorted, typed values kept, own rows after', () => {
  const job = newJob('bash')
  job.script = 'x $s1 $f2 $o1 ${f1}'
  syncRows(job)
  expect(job.rows.map((r) => [r.name, r.type, r.fixed])).toEqual([
    ['f1', 'FILE', true],
    ['f2', 'FILE', true],
    ['o1', 'OUT', true],
    ['s1', 'STRING', true],
  ])
  job.rows[0]!.value = 't1*/s0__.nii'
  job.rows.push(row('arg1', 'LOGICAL', 'true', false))
  job.script = '$f1 only'
  syncRows(job)
  expect(job.rows.map((r) => [r.name, r.value])).toEqual([
    ['f1', 't1*/s0__.nii'],
    ['arg1', true],
  ])
  expect(references('$s1 $f1')).toEqual(['f1', 's1'])
})

test('the batch a composed job makes is one the server accepts, and loads back the same', () => {
  const job = newJob('python')
  job.script = 'print($f1, $o1, $n1)'
  job.interpreter = ' python3 '
  job.memMb = '2048'
  syncRows(job)
  const [f1, o1, n1] = job.rows
  f1!.value = ' t1/s0.nii '
  o1!.value = 'out/r.nii'
  o1!.tags = 'done, qc'
  n1!.value = '3'
  const b = batchOf(' my batch ', 'study', [job])
  expect(b).toEqual({
    name: 'my batch',
    level: 'study',
    jobs: [{ type: 'python', name: 'python job', script: 'print($f1, $o1, $n1)', interpreter: 'python3', resources: { memMb: 2048 }, args: { f1: 't1/s0.nii', o1: 'out/r.nii TAG(done, qc)', n1: '3' } }],
  })
  const spec = parseBatch({ ...b, studies: ['P#S'] })
  expect(spec.jobs[0]!.args.map((a) => [a.name, a.type])).toEqual([
    ['f1', 'FILE'],
    ['o1', 'OUT'],
    ['n1', 'NUMERIC'],
  ])
  const back = jobFromSaved(b.jobs[0]!)
  expect(back.rows.map((r) => [r.name, r.type, r.value, r.tags, r.fixed])).toEqual([
    ['f1', 'FILE', 't1/s0.nii', '', true],
    ['o1', 'OUT', 'out/r.nii', 'done, qc', true],
    ['n1', 'NUMERIC', '3', '', true],
  ])
  expect(back.memMb).toBe('2048')
})

test('subject level: FILE rows with a study reference are written as objects', () => {
  const job = newJob('bash')
  job.script = 'cat $f1'
  syncRows(job)
  job.rows[0]!.value = 'a.nii'
  job.rows[0]!.study = ' last '
  expect(batchOf('b', 'subject', [job]).jobs[0]!.args).toEqual({ f1: { type: 'FILE', value: 'a.nii', study: 'last' } })
  expect(batchOf('b', 'study', [job]).jobs[0]!.args).toEqual({ f1: 'a.nii' })
})

test('preview text and units', () => {
  expect(argText({ value: 'a.nii', matches: 3 }, 'study')).toBe('a.nii (+2 more)')
  expect(argText({ value: 'a.nii', study: 'last', studies: ['S2'] }, 'subject')).toBe('a.nii [last → S2]')
  expect(argText({ value: 'x', error: 'no match' }, 'study')).toBe('no match')
  expect([unitWord('study', 1), unitWord('study', 2), unitWord('subject', 1), unitWord('subject', 0)]).toEqual(['study', 'studies', 'subject', 'subjects'])
})
