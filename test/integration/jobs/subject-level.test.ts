import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { User } from '../../../src/core/types'
import { launchCommand } from '../../../src/cli/commands/launch'
import { JobsService } from '../../../src/jobs/jobs-service'
import { startApp, type Dialect, type Harness } from '../http/harness'

const PW = 'long enough password 1'
const P = 'subjP'
const HOSTILE = "a';system('rm -rf ~');'.nii"

/** CT electrodes + MR anatomy of one subject: the seed's example of a subject-level batch. */
const FUSE = {
  name: 'fuse',
  level: 'subject',
  jobs: [
    {
      type: 'bash',
      name: 'fuse',
      script: 'cat "$f1" "$f2" > "$o1"',
      args: { f1: { value: 'ct/*.nii', study: 'MOD:CT' }, f2: { value: 't1/s0__.nii', study: 'MOD:MR' }, o1: { value: 'out/fused.txt TAG(fused)', study: 'MOD:MR' } },
    },
  ],
}

/** Batches over subjects (study references, `all`, MATLAB) against the real store of each dialect, run on the local executor. */
for (const dialect of ['sqlite', 'mysql'] as Dialect[])
  describe(`subject-level batches on ${dialect}`, () => {
    let h: Harness
    let ann: User
    let projectId: number
    let fakeDir: string
    let fuseBatch: number
    const dir = () => h.services.archive.projectDir({ name: P } as never)
    const jobs = () => (h.services as unknown as { jobs: JobsService }).jobs

    async function study(psid: string, meta: { date: string; modality: string; description: string }, files: Record<string, string>) {
      const [pid, sid] = psid.split('#') as [string, string]
      const subject = await h.services.repos.subjects.ensureSubject(projectId, pid)
      await h.services.repos.subjects.ensureStudy(projectId, subject.id, sid, { studyDate: meta.date, modality: meta.modality, description: meta.description })
      const paths = Object.entries(files).map(([rel, content]) => {
        const abs = join(dir(), pid, sid, rel)
        mkdirSync(join(abs, '..'), { recursive: true })
        writeFileSync(abs, content)
        return abs
      })
      await h.services.archive.addFiles(ann, P, paths)
    }
    const CT = (date: string) => ({ date, modality: 'CT', description: 'CT electrodes' })
    const MR = (date: string) => ({ date, modality: 'MR', description: 'MR T1 anatomy' })

    beforeAll(async () => {
      // Test double of an external program this machine lacks (MATLAB is not installed here): a bash script that
      // records its argv (NUL-separated) in the job's declared output, whose path nora gives every job as $o1.
      fakeDir = mkdtempSync(join(tmpdir(), 'nora-fake-matlab-'))
      chmodSync(fakeDir, 0o755) // jobs run as nora-jobs: like a real MATLAB install, the executable is everyone's
      const fake = join(fakeDir, 'matlab')
      writeFileSync(fake, '#!/bin/bash\nprintf "%s\\0" "$0" "$@" > "$o1"\n')
      chmodSync(fake, 0o755)
      h = await startApp(dialect, `jobs: { localWorkers: 3, matlab: "${fake}" }`)
      ann = await h.user('ann', PW)
      projectId = (await h.services.archive.createProject(ann, P)).id
      for (const i of [1, 2]) {
        await study(`P${i}#CT1`, CT('20200101'), { 'ct/s001.nii': `ct-${i}` })
        await study(`P${i}#MR1`, MR('20200201'), { 't1/s001.nii': `mr-${i}` })
      }
      await study('P3#MR1', MR('20200201'), { 't1/s001.nii': 'mr-3' })
    })

    afterAll(async () => {
      await h?.close()
      rmSync(fakeDir, { recursive: true, force: true })
    })

    test('one run per subject: $f1 the CT file (MOD:CT), $f2 the MR file (MOD:MR), output tagged in the MR study; a subject without CT errors, the others go on', async () => {
      const { batchId, runs } = await jobs().launch(ann, P, FUSE, { studies: ['P1#CT1', 'P1#MR1', 'P2#MR1', 'P3#MR1'] })
      fuseBatch = batchId
      expect(runs.map((r) => [r.psid, r.studyId])).toEqual([
        ['P1', null],
        ['P2', null],
        ['P3', null],
      ])
      const summary = await jobs().run(ann, batchId)
      expect(summary.runs.map((r) => `${r.psid} ${r.state}`)).toEqual(['P1 done', 'P2 done', 'P3 error'])
      expect(summary.runs[2]!.reason).toBe('job 1 (fuse): no study of P3 matches MOD:CT')
      for (const i of [1, 2]) expect(readFileSync(join(dir(), `P${i}`, 'MR1', 'out', 'fused.txt'), 'utf8')).toBe(`ct-${i}mr-${i}`)
      const tagged: string[] = []
      for await (const page of h.services.archive.select(ann, P, 'out/fused.txt')) for (const f of page) if (f.tags.includes('fused')) tagged.push(`${f.patients_id}#${f.studies_id}`)
      expect(tagged.sort()).toEqual(['P1#MR1', 'P2#MR1'])
      // The run's log goes to the subject's first study by date.
      expect(readdirSync(join(dir(), 'P1', 'CT1', 'log')).filter((f) => f.endsWith('.log'))).toHaveLength(1)
      // Commands of a subject-level run belong to the subject (study_id NULL), as the JOB: filter and indicators read them.
      const cmds = await h.services.db.all<{ subject_id: number | null; study_id: number | null; state: string }>('SELECT subject_id, study_id, state FROM commands WHERE batch_id = ? ORDER BY id', [batchId])
      expect(cmds.map((c) => [c.subject_id !== null, c.study_id, c.state])).toEqual([
        [true, null, 'done'],
        [true, null, 'done'],
        [true, null, 'error'],
      ])
      const gridjobs = await jobs().list(ann, { batchId })
      expect(gridjobs.map((g) => `${g.psid} ${g.state}`).sort()).toEqual(['P1 done', 'P2 done', 'P3 error'])
      // JOB:e finds the errored subject's studies (a subject job counts for each of them).
      const rows: { patients_id: string; studies_id: string | null }[] = []
      for await (const page of h.services.studies.all(ann, P, { file: 'JOB:e' })) rows.push(...page)
      expect(rows.map((r) => `${r.patients_id}#${r.studies_id}`)).toEqual(['P3#MR1'])
    })

    test('rerun errors of a subject-level batch: once P3 has its CT, its run succeeds', async () => {
      await study('P3#CT1', CT('20190101'), { 'ct/s001.nii': 'ct-3' })
      await expect(jobs().rerunErrors(ann, fuseBatch, { ...FUSE, level: 'study' })).rejects.toThrow('its rerun keeps "level": "subject"')
      const { batchId, spec, runs } = await jobs().rerunErrors(ann, fuseBatch)
      expect(spec.level).toBe('subject')
      expect(runs.map((r) => r.psid)).toEqual(['P3'])
      const summary = await jobs().run(ann, batchId)
      expect(summary.runs.map((r) => `${r.psid} ${r.state}`)).toEqual(['P3 done'])
      expect(readFileSync(join(dir(), 'P3', 'MR1', 'out', 'fused.txt'), 'utf8')).toBe('ct-3mr-3')
    })

    test('CLI: --launch of a subject-level batch with --select-studies runs per subject of the selection', async () => {
      const lines: string[] = []
      const errs: string[] = []
      const io = { tty: false, out: async (l: string) => void lines.push(l), err: async (l: string) => void errs.push(l) }
      const json = JSON.stringify({ level: 'subject', jobs: [{ type: 'bash', script: 'cp "$f1" "$o1"', args: { f1: { value: 'ct/*.nii', study: 'first' }, o1: 'out/first.txt' } }] })
      const args = { positional: [], options: new Map<string, string[]>([['project', [P]], ['launch', [json]], ['select-studies', ['t1/s001.nii']], ['user', ['ann']]]) }
      expect(await launchCommand(h.services, args, io)).toBe(0)
      expect(lines.at(-1)).toMatch(/^batch \d+ done: 3 runs, 3 done, 0 failed$/)
      for (const i of [1, 2, 3]) expect(readFileSync(join(dir(), `P${i}`, 'CT1', 'out', 'first.txt'), 'utf8')).toBe(`ct-${i}`)
    })

    test('`all`: every matching file of every study, as separate argv entries; the output by default in the first study', async () => {
      const batch = { level: 'subject', subjects: ['P1'], jobs: [{ type: 'bash', script: 'printf "%s\\n" "$#" "$@" > "$o1"', args: { f1: { value: '*/s001.nii', study: 'all' }, o1: 'out/all.txt' } }] }
      const { batchId } = await jobs().launch(ann, P, batch)
      expect((await jobs().run(ann, batchId)).runs.map((r) => r.state)).toEqual(['done'])
      const out = join(dir(), 'P1', 'CT1', 'out', 'all.txt')
      expect(readFileSync(out, 'utf8')).toBe(`3\n${join(dir(), 'P1', 'CT1', 'ct', 's001.nii')}\n${join(dir(), 'P1', 'MR1', 't1', 's001.nii')}\n${out}\n`)
    })

    test('MATLAB: matlab -batch with the values as MATLAB literals (a hostile file name stays one quoted string)', async () => {
      await study('P4#MR1', MR('20210101'), { [`t1/${HOSTILE}`]: 'mr-4' })
      const batch = { level: 'subject', subjects: ['P4'], jobs: [{ type: 'matlab', name: 'seg', script: 'seg($f1, $o1, $n1)', args: { f1: { value: 't1/a*', study: 'MOD:MR' }, o1: { value: 'out/seg.txt TAG(seg)', study: 'last' }, n1: 2.5 } }] }
      const { batchId } = await jobs().launch(ann, P, batch)
      const summary = await jobs().run(ann, batchId)
      expect(summary.runs.map((r) => `${r.psid} ${r.state} ${r.reason}`)).toEqual(['P4 done '])
      const out = join(dir(), 'P4', 'MR1', 'out', 'seg.txt')
      const argv = readFileSync(out, 'utf8').split('\0').slice(0, -1)
      const q = (s: string) => `'${s.replace(/'/g, "''")}'`
      expect(argv).toEqual([join(fakeDir, 'matlab'), '-batch', `seg(${q(join(dir(), 'P4', 'MR1', 't1', HOSTILE))}, ${q(out)}, (2.5))`])
      expect(existsSync(join(dir(), 'P4', 'MR1', 't1', HOSTILE))).toBe(true)
    })

    test('MATLAB without jobs.matlab: refused at launch with what to configure', async () => {
      const s = h.services
      const plain = new JobsService({ db: s.db, jobs: s.repos.jobs, repos: s.repos, rights: s.rights, archive: s.archive, studies: s.studies, home: s.config.home, localWorkers: 1 })
      const batch = { level: 'subject', subjects: ['P1'], jobs: [{ type: 'matlab', script: 'disp(1)' }] }
      await expect(plain.launch(ann, P, batch)).rejects.toThrow('MATLAB jobs need jobs.matlab in conf/main.conf')
    })

    test('API preview at subject level: resolved inputs per subject with the studies they come from; a missing reference is that subject\'s error', async () => {
      await study('P5#MR1', MR('20200201'), { 't1/s001.nii': 'mr-5' })
      const s = await h.login('ann', PW)
      const res = await h.request(`/api/projects/${P}/batches/preview`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
        body: JSON.stringify({ batch: { ...FUSE, level: 'study' }, level: 'subject', studies: ['P1#CT1', 'P1#MR1', 'P5#MR1'] }),
      })
      expect(res.status).toBe(200)
      const body = await res.json()
      expect(body.total).toBe(2)
      expect(body.studies.map((x: { psid: string; ok: boolean }) => [x.psid, x.ok])).toEqual([
        ['P1', true],
        ['P5', false],
      ])
      expect(body.studies[0].jobs[0].args).toEqual([
        { name: 'f1', type: 'FILE', value: join(dir(), 'P1', 'CT1', 'ct', 's001.nii'), study: 'MOD:CT', matches: 1, studies: ['CT1'] },
        { name: 'f2', type: 'FILE', value: join(dir(), 'P1', 'MR1', 't1', 's001.nii'), study: 'MOD:MR', matches: 1, studies: ['MR1'] },
        { name: 'o1', type: 'OUT', value: join(dir(), 'P1', 'MR1', 'out', 'fused.txt'), study: 'MOD:MR', studies: ['MR1'] },
      ])
      expect(body.studies[1].jobs[0].error).toBe('no study of P5 matches MOD:CT')
    })
  })
