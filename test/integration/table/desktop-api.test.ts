import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { User } from '../../../src/core/types'
import { PYDICOM, python, zipOf } from '../../helpers/dicom-fixtures'
import { startApp, type Dialect, type Harness } from '../http/harness'

const PW = 'long enough password 1'
const NIFTI = '/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii'
const DICOM = join(PYDICOM, 'CT_small.dcm')

/** Tags, uploads, job indicators and autoloaders of the desktop over HTTP, on one dialect. */
function desktopApi(dialect: Dialect) {
  describe(`desktop API (${dialect})`, () => {
    let h: Harness
    let writer: { cookie: string; csrf: string }
    let reader: { cookie: string; csrf: string }
    let projectId: number

    beforeAll(async () => {
      h = await startApp(dialect, 'auth: { maxFailedLogins: 1000 }')
      const w: User = await h.user('wendy', PW)
      const r: User = await h.user('rita', PW)
      const { repos } = h.services
      const project = await h.services.archive.createProject(w, 'lab')
      projectId = project.id
      await repos.rights.grant(w.id, project.id, 'write')
      await repos.rights.grant(r.id, project.id, 'read')
      const p1 = await repos.subjects.ensureSubject(project.id, 'P001', { name: 'Adams^Anna' })
      const s1 = await repos.subjects.ensureStudy(project.id, p1.id, 'S01', { description: 'Brain MR' })
      await repos.subjects.ensureStudy(project.id, p1.id, 'S02', { description: 'Brain CT' })
      const p2 = await repos.subjects.ensureSubject(project.id, 'P002', { name: 'Baker^Bob' })
      const s3 = await repos.subjects.ensureStudy(project.id, p2.id, 'S01', { description: 'Knee' })
      await repos.files.upsert(project.id, s1.id, 't1_trio_3/s001.nii', 10, 'nifti')
      await repos.files.upsert(project.id, s1.id, 'dwi/s002.nii', 10, 'nifti')
      // Jobs: two queued and one error on P001#S01, one running on subject P002 alone (counts for its studies).
      const cmd = (subject: number, study: number | null, state: string) =>
        h.services.db.run('INSERT INTO commands (project_id, subject_id, study_id, position, job, state, created_at) VALUES (?, ?, ?, 0, ?, ?, ?)', [project.id, subject, study, '{}', state, Date.now()])
      await cmd(p1.id, s1.id, 'queued')
      await cmd(p1.id, s1.id, 'queued')
      await cmd(p1.id, s1.id, 'failed')
      await cmd(p2.id, null, 'running')
      await cmd(p2.id, s3.id, 'done')
      writer = await h.login('wendy', PW)
      reader = await h.login('rita', PW)
    }, 60_000)
    afterAll(async () => {
      await h?.close()
    })

    const send = (method: string, path: string, who: { cookie: string; csrf: string }, body: unknown, csrf = true) =>
      h.request(path, {
        method,
        headers: { cookie: who.cookie, 'content-type': 'application/json', accept: 'application/json', ...(csrf ? { 'x-csrf-token': who.csrf } : {}) },
        body: JSON.stringify(body),
      })
    const studies = async (q: string) =>
      (await (await h.request(`/api/projects/lab/studies?${q}`, { headers: { cookie: writer.cookie } })).json()) as { rows: { patients_id: string; studies_id: string; tags: string[]; subject_tags: string[] }[] }

    test('tags on studies (two checked rows at once), subjects and files; STAG/PTAG/FTAG find them; DELETE removes', async () => {
      let res = await send('POST', '/api/projects/lab/tags', writer, { target: 'study', psids: ['P001#S01', 'P002#S01'], tag: 'control' })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ target: 'study', tag: 'control', items: 2, changed: 2 })
      expect((await studies('file=STAG:control')).rows.map((r) => `${r.patients_id}#${r.studies_id}`)).toEqual(['P001#S01', 'P002#S01'])
      expect((await send('POST', '/api/projects/lab/tags', writer, { target: 'subject', ids: ['P002'], tag: 'pilot' })).status).toBe(200)
      expect((await studies('q=PTAG:pilot')).rows.map((r) => r.patients_id)).toEqual(['P002'])
      expect((await send('POST', '/api/projects/lab/tags', writer, { target: 'file', paths: ['P001/S01/dwi/s002.nii'], tag: 'bad_motion' })).status).toBe(200)
      expect((await studies('file=FTAG:bad_motion')).rows.map((r) => `${r.patients_id}#${r.studies_id}`)).toEqual(['P001#S01'])
      const tree = await (await h.request('/projects/lab/studies/P001/S01/files', { headers: { cookie: writer.cookie } })).text()
      expect(tree).toContain('data-target="file" data-item="P001&#x2F;S01&#x2F;dwi&#x2F;s002.nii"')
      expect(tree).toContain('<span class="chip-text">bad_motion</span><button type="button" class="chip-x"')

      res = await send('DELETE', '/api/projects/lab/tags', writer, { target: 'study', items: ['P002#S01'], tag: 'control' })
      expect(await res.json()).toMatchObject({ changed: 1 })
      expect((await studies('file=STAG:control')).rows.map((r) => r.patients_id)).toEqual(['P001'])
    })

    test('bad tag names, unknown items and wrong targets are 400/404 with a message; nothing changes', async () => {
      for (const tag of ['has space', 'a,b', 'x&y', 'STAG:x', '<img src=x>', '', 'x'.repeat(65)]) {
        const res = await send('POST', '/api/projects/lab/tags', writer, { target: 'study', items: ['P001#S01'], tag })
        expect(res.status).toBe(400)
        expect(((await res.json()) as { error: string }).error).toMatch(/tag|bad request/)
      }
      const missing = await send('POST', '/api/projects/lab/tags', writer, { target: 'study', items: ['P001#S01', 'P009#S01'], tag: 'ok' })
      expect(missing.status).toBe(404)
      expect(((await missing.json()) as { error: string }).error).toContain('no study "P009#S01"')
      expect((await studies('file=STAG:ok')).rows).toEqual([]) // all or nothing
      expect((await send('POST', '/api/projects/lab/tags', writer, { target: 'series', items: ['x'], tag: 'ok' })).status).toBe(400)
      expect((await send('POST', '/api/projects/lab/tags', writer, { target: 'file', items: ['P001/S01/../../etc/passwd'], tag: 'ok' })).status).toBe(404)
    })

    test('tagging needs the write right and, with a session, the CSRF token', async () => {
      const denied = await send('POST', '/api/projects/lab/tags', reader, { target: 'study', items: ['P001#S01'], tag: 'nope' })
      expect(denied.status).toBe(403)
      const noToken = await send('POST', '/api/projects/lab/tags', writer, { target: 'study', items: ['P001#S01'], tag: 'nope' }, false)
      expect(noToken.status).toBe(403)
      expect(((await noToken.json()) as { error: string }).error).toContain('CSRF')
      expect((await studies('file=STAG:nope')).rows).toEqual([])
      // A reader sees chips without the remove button.
      const html = await (await h.request('/projects/lab/table', { headers: { cookie: reader.cookie, 'hx-request': 'true' } })).text()
      expect(html).toContain('<span class="chip-text">control</span></span>')
      expect(html).not.toContain('chip-x')
    })

    test('job indicators: queued/running/error counts per study, subject jobs count for its studies, done jobs not at all', async () => {
      const html = await (await h.request('/projects/lab/table', { headers: { cookie: writer.cookie, 'hx-request': 'true' } })).text()
      const row = (psid: string) => html.match(new RegExp(`<tr class="row study" data-psid="${psid}"[\\s\\S]*?</tr>`))![0]
      expect(row('P001#S01')).toContain('<td class="jobs"><span class="job job-q" title="2 jobs queued">2&nbsp;q</span><span class="job job-e" title="1 job error">1&nbsp;e</span></td>')
      expect(row('P001#S02')).toContain('<td class="jobs"></td>')
      expect(row('P002#S01')).toContain('<td class="jobs"><span class="job job-r" title="1 job running">1&nbsp;r</span></td>')
      // The same rows JOB:q / JOB:r select.
      expect((await studies('q=JOB:q')).rows.map((r) => `${r.patients_id}#${r.studies_id}`)).toEqual(['P001#S01'])
    })

    test('upload a NIfTI into a new study: streamed, stored under PID/SID/folder, registered with its header (dims as nibabel reads them)', async () => {
      const bytes = readFileSync(NIFTI)
      const res = await h.request('/api/projects/lab/files?name=anatomical.nii&psid=P003%23S07&folder=upload', {
        method: 'POST',
        headers: { cookie: writer.cookie, 'x-csrf-token': writer.csrf, 'content-type': 'application/octet-stream', accept: 'application/json' },
        body: bytes,
      })
      expect(res.status).toBe(201)
      const body = (await res.json()) as { kind: string; path: string; url: string; bytes: number }
      expect(body).toEqual({ kind: 'file', path: 'P003/S07/upload/anatomical.nii', url: '/api/projects/lab/files/P003/S07/upload/anatomical.nii', bytes: bytes.length })
      const onDisk = join(h.services.config.dataRoot, 'projects', 'lab', 'P003', 'S07', 'upload', 'anatomical.nii')
      expect(readFileSync(onDisk).equals(bytes)).toBe(true)
      const meta = await h.services.db.get<{ meta: string }>("SELECT f.meta AS meta FROM files f WHERE f.project_id = ? AND f.path = 'upload/anatomical.nii'", [projectId])
      const shape = JSON.parse(python('import nibabel,json,sys; print(json.dumps(list(nibabel.load(sys.argv[1]).shape)))', [NIFTI]))
      expect(meta!.meta).toContain(JSON.stringify(shape).slice(1, -1))
      expect((await studies('file=upload/anat')).rows.map((r) => `${r.patients_id}#${r.studies_id}`)).toEqual(['P003#S07'])
      // The same name again is a conflict, not an overwrite.
      const again = await h.request('/api/projects/lab/files?name=anatomical.nii&psid=P003%23S07&folder=upload', {
        method: 'POST',
        headers: { cookie: writer.cookie, 'x-csrf-token': writer.csrf, accept: 'application/json' },
        body: new Uint8Array([1, 2, 3]),
      })
      expect(again.status).toBe(409)
      expect(readFileSync(onDisk).equals(bytes)).toBe(true)
    })

    test('upload targets that leave the study, bad psids and non-DICOM with native PID are refused before anything is stored', async () => {
      const up = (q: string, who = writer, csrf = true) =>
        h.request(`/api/projects/lab/files?${q}`, {
          method: 'POST',
          headers: { cookie: who.cookie, ...(csrf ? { 'x-csrf-token': who.csrf } : {}), accept: 'application/json' },
          body: new Uint8Array([1, 2, 3]),
        })
      for (const q of [
        'name=x.nii&psid=P001%23S01&folder=..%2F..%2F..',
        'name=x.nii&psid=P001%23S01&folder=%2Fetc',
        'name=..&psid=P001%23S01',
        'name=.hidden&psid=P001%23S01',
        'name=x.nii&psid=..%23S01',
        'name=x.nii&psid=P001',
        'name=x.nii',
        'name=x.nii&native=1',
      ]) {
        const res = await up(q)
        expect([400, 403]).toContain(res.status)
        expect(((await res.json()) as { error: string }).error.length).toBeGreaterThan(10)
      }
      expect((await up('name=x.nii&psid=P001%23S01', reader)).status).toBe(403)
      expect((await up('name=x.nii&psid=P001%23S01', writer, false)).status).toBe(403)
      expect(existsSync(join(h.services.config.dataRoot, 'projects', 'lab', 'P001', 'S01', 'x.nii'))).toBe(false)
      expect(existsSync(join(h.services.config.dataRoot, 'etc'))).toBe(false)
    })

    test('a DICOM file with "use native PID" goes through the import: subject and study from its headers', async () => {
      const res = await h.request('/api/projects/lab/files?name=CT_small.dcm&native=1', {
        method: 'POST',
        headers: { cookie: writer.cookie, 'x-csrf-token': writer.csrf, accept: 'application/json' },
        body: readFileSync(DICOM),
      })
      expect(res.status).toBe(202)
      const { status } = (await res.json()) as { status: string }
      let state: { state: string; counts: { series: number } } = { state: 'queued', counts: { series: 0 } }
      for (let i = 0; i < 200 && (state.state === 'queued' || state.state === 'running'); i++) {
        await Bun.sleep(100)
        state = (await (await h.request(status, { headers: { cookie: writer.cookie } })).json()) as typeof state
      }
      expect(state.state).toBe('done')
      expect(state.counts.series).toBe(1)
      const pid = python('import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).PatientID)', [DICOM]).trim()
      expect((await studies(`patients_id=${encodeURIComponent(pid)}`)).rows.length).toBe(1)
    }, 60_000)

    test('a zip of DICOM into a chosen study goes through the import into that study (the headers\' PatientID is not used)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nora-dcm-'))
      copyFileSync(join(PYDICOM, 'MR_small.dcm'), join(dir, 'MR_small.dcm'))
      const zip = zipOf(dir, 'mr.zip')
      rmSync(dir, { recursive: true, force: true })
      const res = await h.request('/api/projects/lab/files?name=mr.zip&psid=ZIPPED%23Z1', {
        method: 'POST',
        headers: { cookie: writer.cookie, 'x-csrf-token': writer.csrf, accept: 'application/json' },
        body: readFileSync(zip),
      })
      rmSync(dirname(zip), { recursive: true, force: true })
      expect(res.status).toBe(202)
      const { status } = (await res.json()) as { status: string }
      let state: { state: string; counts: { series: number } } = { state: 'queued', counts: { series: 0 } }
      for (let i = 0; i < 200 && (state.state === 'queued' || state.state === 'running'); i++) {
        await Bun.sleep(100)
        state = (await (await h.request(status, { headers: { cookie: writer.cookie } })).json()) as typeof state
      }
      expect(state.state).toBe('done')
      expect(state.counts.series).toBe(1)
      const rows = (await studies('patients_id=ZIPPED')).rows
      expect(rows.map((r) => `${r.patients_id}#${r.studies_id}`)).toEqual(['ZIPPED#Z1'])
      const files = (await studies('file=*.nii&patients_id=ZIPPED')).rows
      expect(files.length).toBe(1)
    }, 60_000)

    test('autoloaders: presets saved (write right), listed (read right), resolved for a study into file URLs', async () => {
      const presets = [
        { name: 'T1 + DWI', active: true, items: [
          { pattern: 't1*/s0*.nii', viewport: 1, as: 'background', colormap: 'gray', min: 0, max: 800 },
          { pattern: 'dwi/*.nii', viewport: 2, as: 'overlay', colormap: 'hot' },
          { pattern: 'nothing*/x.nii', viewport: 3 },
        ] },
        { name: 'other', active: false, items: [] },
      ]
      expect((await send('PUT', '/api/projects/lab/autoloaders', reader, { presets })).status).toBe(403)
      expect((await send('PUT', '/api/projects/lab/autoloaders', writer, { presets }, false)).status).toBe(403)
      const saved = await send('PUT', '/api/projects/lab/autoloaders', writer, { presets })
      expect(saved.status).toBe(200)
      const listed = (await (await h.request('/api/projects/lab/autoloaders', { headers: { cookie: reader.cookie } })).json()) as { presets: { name: string; items: unknown[] }[] }
      expect(listed.presets.map((p) => p.name)).toEqual(['T1 + DWI', 'other'])
      expect(listed.presets[0]!.items[2]).toEqual({ pattern: 'nothing*/x.nii', viewport: 3, as: 'background', colormap: 'gray' })
      const resolved = await (await h.request('/api/projects/lab/autoloaders/resolve?psid=P001%23S01', { headers: { cookie: reader.cookie } })).json()
      expect(resolved).toEqual({
        preset: 'T1 + DWI',
        items: [
          { url: '/api/projects/lab/files/P001/S01/t1_trio_3/s001.nii', name: 's001.nii', path: 'P001/S01/t1_trio_3/s001.nii', viewport: 1, as: 'background', colormap: 'gray', min: 0, max: 800 },
          { url: '/api/projects/lab/files/P001/S01/dwi/s002.nii', name: 's002.nii', path: 'P001/S01/dwi/s002.nii', viewport: 2, as: 'overlay', colormap: 'hot' },
        ],
      })
      // Another study without such files: nothing to load.
      expect(await (await h.request('/api/projects/lab/autoloaders/resolve?psid=P001%23S02', { headers: { cookie: reader.cookie } })).json()).toEqual({ preset: 'T1 + DWI', items: [] })
      for (const bad of [
        [{ name: 'a', active: true, items: [] }, { name: 'b', active: true, items: [] }],
        [{ name: 'a', items: [{ pattern: '../x', viewport: 1 }] }],
        [{ name: 'a', items: [{ pattern: 'x', viewport: 99 }] }],
        [{ name: 'a', items: [{ pattern: 'x', viewport: 0 }] }],
        [{ name: 'a', items: [{ pattern: 'x', as: 'hologram' }] }],
        [{ name: 'a', items: [{ pattern: 'x', colormap: '"><script>' }] }],
        [{ name: '<b>', items: [] }],
      ]) {
        const res = await send('PUT', '/api/projects/lab/autoloaders', writer, { presets: bad })
        expect(res.status).toBe(400)
        expect(((await res.json()) as { error: string }).error).toContain('autoloader')
      }
    })
  })
}

desktopApi('sqlite')
desktopApi('mysql')
