// The Reading Tool's JSON API on the real app and database (SQLite or a fresh MariaDB): an admin creates a reading
// over 6 studies (2 tagged Training), two readers read training and serious with idhash (the same order for both)
// and one repetition, a radio item with useastag tags the study, rights (a non-reader, a reader creating), results
// (readers their own, admins all), restart (only the caller's results of that mode), the CSV checked row by row
// against what was posted, the autoloader's files, and a blind reading that hides ids, names, dates and results.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { User } from '../../../src/core/types'
import { startApp, type Dialect, type Harness } from '../http/harness'

const PW = 'long enough password 1'
const STUDIES = [
  { pid: 'P1', sid: 'S1', name: 'Alpha^A', date: '20200101', tag: 'Training' },
  { pid: 'P2', sid: 'S1', name: 'Beta^B', date: '20200102', tag: 'Training' },
  { pid: 'P3', sid: 'S1', name: 'Gamma^C', date: '20200103' },
  { pid: 'P4', sid: 'S2', name: 'Delta^D', date: '20200104' },
  { pid: 'P5', sid: 'S1', name: 'Eps^E', date: '20200105' },
  { pid: 'P6', sid: 'S3', name: 'Zeta^F', date: '20200106' },
]

export const readingConfig = (extra: Record<string, unknown> = {}) => ({
  name: 'RSTONE2',
  mode: 'individual',
  admins: ['ann'],
  readers: ['bob', 'cat'],
  instructions: 'Read every case.',
  links: [{ label: 'slides', url: 'https://example.org/slides' }],
  form: {
    type: 'basis',
    items: [
      { type: 'radio', name: 'side', options: ['none', 'right', 'left', 'both'], useastag: 1 },
      { type: 'checkbox', name: 'calc' },
      { type: 'number', name: 'size', min: 0, max: 100 },
      { type: 'separator' },
      { type: 'text', name: 'comments' },
      { type: 'markerset', name: 'stones' },
    ],
  },
  reading: {
    reading: {
      random: 'idhash',
      randomise: 'study',
      repetitions: 2,
      mode_training: { SQLCondition: "STAG LIKE '%Training%'" },
      mode_serious: { SQLCondition: "STAG NOT LIKE '%Training%'" },
      allowRestartOfTraining: 1,
      allowRestartOfSerious: 0,
    },
    tools: { markers: 1 },
    viewer: { sortOrder: 'patients_id', sortDirection: 'asc', autoloaders: [{ pattern: 'anat/*.nii', viewport: 1, as: 'background', colormap: 'gray' }] },
  },
  ...extra,
})

interface Case {
  index: number
  caseKey: string
  repetition: number
  stage: number
  pid: string
  sid: string
  studyPath: string
  label: string
  done: boolean
}

/** Parses RFC 4180 CSV (quotes, doubled quotes, CRLF) into rows of cells; independent of the code under test. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(cell)
      cell = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i++
    } else cell += c
  }
  if (cell !== '' || row.length) {
    row.push(cell)
    rows.push(row)
  }
  return rows
}

export function describeReadingApi(dialect: Dialect) {
  describe(`reading API (${dialect})`, () => {
    let h: Harness
    let root: User
    const tokens: Record<string, string> = {}
    const base = '/api/projects/rd/readings'
    const call = async (who: string, method: string, path: string, body?: unknown) => {
      const res = await h.request(path, { method, headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
      const type = res.headers.get('content-type') ?? ''
      return { status: res.status, body: type.includes('json') ? await res.json() : await res.text(), headers: res.headers }
    }
    /** What each reader posted, to compute the expected CSV independently. */
    const posted: { user: string; mode: string; caseKey: string; repetition: number; stage: number; values: Record<string, unknown>; seconds: number }[] = []
    let readingId = 0

    beforeAll(async () => {
      h = await startApp(dialect, 'auth: { maxFailedLogins: 1000 }')
      root = await h.user('root', PW, { siteAdmin: true })
      const project = await h.services.archive.createProject(root, 'rd')
      const dir = h.services.archive.projectDir(project)
      for (const s of STUDIES) {
        const subject = await h.services.repos.subjects.ensureSubject(project.id, s.pid, { name: s.name })
        const study = await h.services.repos.subjects.ensureStudy(project.id, subject.id, s.sid, { studyDate: s.date, description: 'CT abdomen' })
        if (s.tag) await h.services.repos.tags.add('study', [study.id], [s.tag])
        mkdirSync(join(dir, s.pid, s.sid, 'anat'), { recursive: true })
        writeFileSync(join(dir, s.pid, s.sid, 'anat', 't1.nii'), `image of ${s.pid}`)
        await h.services.repos.files.upsert(project.id, study.id, 'anat/t1.nii', 11, 'nifti')
        if (s.tag) {
          mkdirSync(join(dir, s.pid, s.sid, 'ai'), { recursive: true })
          writeFileSync(join(dir, s.pid, s.sid, 'ai', 'seg.nii'), `AI of ${s.pid}`)
          await h.services.repos.files.upsert(project.id, study.id, 'ai/seg.nii', 8, 'nifti')
        }
      }
      for (const [name, role] of [['ann', 'admin'], ['bob', 'read'], ['cat', 'read'], ['dan', 'read'], ['eve', undefined]] as const) {
        const u = await h.user(name, PW)
        if (role) await h.services.repos.rights.grant(u.id, project.id, role)
        tokens[name] = await h.services.auth.createToken(u, 'reading test')
      }
    }, 120_000)

    afterAll(async () => {
      await h?.close()
    })

    test('rights: readers cannot create; a project admin creates; a non-reader sees no reading', async () => {
      expect((await call('bob', 'POST', base, { config: readingConfig() })).status).toBe(403)
      const bad = await call('ann', 'POST', base, { config: readingConfig({ mode: 'secret' }) })
      expect(bad.status).toBe(400)
      expect(JSON.stringify(bad.body)).toContain('mode')
      const badSql = await call('ann', 'POST', base, { config: { ...readingConfig(), reading: { reading: { mode_training: { SQLCondition: 'STAG LIKE 1; DROP TABLE studies' } } } } })
      expect(badSql.status).toBe(400)
      expect(JSON.stringify(badSql.body)).toContain('reading.reading.mode_training.SQLCondition')
      const created = await call('ann', 'POST', base, { config: readingConfig() })
      expect(created.status).toBe(201)
      readingId = (created.body as { id: number }).id
      expect(readingId).toBeGreaterThan(0)
      expect(await call('dan', 'GET', base).then((r) => r.body)).toEqual([])
      expect((await call('dan', 'POST', `${base}/${readingId}/session`, { mode: 'training' })).status).toBe(403)
      expect((await call('eve', 'GET', base)).status).toBe(403)
      expect((await h.request(base)).status).toBe(401)
      expect((await h.request(`${base}/${readingId}/results.csv`)).status).toBe(401)
      expect((await call('bob', 'PUT', `${base}/${readingId}`, { config: readingConfig() })).status).toBe(403)
    })

    test('template for a new reading (project admins): the active autoloader preset in viewer', async () => {
      await h.services.repos.autoloaders.replace((await h.services.archive.requireProject('rd')).id, [{ name: 'std', active: true, items: JSON.stringify([{ pattern: 'anat/*.nii', viewport: 1, as: 'background', colormap: 'gray' }]) }])
      const tpl = await call('ann', 'GET', `${base}/new/template`)
      expect(tpl.status).toBe(200)
      expect((tpl.body as Record<string, any>).viewer.autoloaders).toEqual([{ pattern: 'anat/*.nii', viewport: 1, as: 'background', colormap: 'gray' }])
      expect((tpl.body as Record<string, any>).reading.mode_training).toEqual({ SQLCondition: "STAG LIKE '%Training%'" })
      expect((await call('bob', 'GET', `${base}/new/template`)).status).toBe(403)
      const posted = await call('ann', 'POST', `${base}/0/template`, { viewer: { layout: 'three-plane', autoloaders: [] } })
      expect((posted.body as Record<string, any>).viewer).toMatchObject({ layout: 'three-plane', autoloaders: [] })
    })

    test('list: progress, admin flag and info; readers get the config without admin-only parts', async () => {
      const list = (await call('bob', 'GET', base)).body as { id: number; name: string; mode: string; progress: unknown; isAdmin: boolean; info: unknown; allowRestart: unknown }[]
      expect(list).toEqual([
        { id: readingId, name: 'RSTONE2', mode: 'individual', isAdmin: false, progress: { training: { done: 0, total: 4 }, serious: { done: 0, total: 8 } }, info: { instructions: 'Read every case.', links: [{ label: 'slides', url: 'https://example.org/slides' }] }, allowRestart: { training: true, serious: false } },
      ])
      expect(((await call('ann', 'GET', base)).body as { isAdmin: boolean }[])[0]!.isAdmin).toBe(true)
      const asReader = (await call('bob', 'GET', `${base}/${readingId}`)).body as { config: Record<string, any> }
      expect(asReader.config.readers).toBeUndefined()
      expect(asReader.config.admins).toBeUndefined()
      expect(asReader.config.reading.reading.mode_training).toBeUndefined()
      expect(asReader.config.form.items[0].name).toBe('side')
      const asAdmin = (await call('ann', 'GET', `${base}/${readingId}`)).body as { config: Record<string, any> }
      expect(asAdmin.config.readers).toEqual(['bob', 'cat'])
      const tpl = (await call('ann', 'GET', `${base}/${readingId}/template?viewer=${encodeURIComponent(JSON.stringify({ layout: '2x2' }))}`)).body as Record<string, any>
      expect(tpl.viewer.layout).toBe('2x2')
      expect(tpl.reading.random).toBe('none')
      expect((await call('bob', 'GET', `${base}/${readingId}/template`)).status).toBe(403)
    })

    let bobTraining: { sessionId: number; cases: Case[]; next: number | null }
    test('sessions: idhash gives both readers the same order; repetition 2 follows all of repetition 1', async () => {
      bobTraining = (await call('bob', 'POST', `${base}/${readingId}/session`, { mode: 'training' })).body as typeof bobTraining
      const catTraining = (await call('cat', 'POST', `${base}/${readingId}/session`, { mode: 'training' })).body as typeof bobTraining
      expect(bobTraining.cases.map((c) => c.caseKey).sort()).toEqual(['P1#S1', 'P1#S1', 'P2#S1', 'P2#S1'])
      expect(catTraining.cases.map((c) => [c.caseKey, c.repetition])).toEqual(bobTraining.cases.map((c) => [c.caseKey, c.repetition]))
      expect(bobTraining.cases.map((c) => c.repetition)).toEqual([1, 1, 2, 2])
      expect(bobTraining.next).toBe(0)
      expect(bobTraining.cases[0]).toMatchObject({ index: 0, stage: 1, done: false })
      expect(bobTraining.cases[0]!.studyPath).toBe(`${bobTraining.cases[0]!.pid}/${bobTraining.cases[0]!.sid}`)
      const bobSerious = (await call('bob', 'POST', `${base}/${readingId}/session`, { mode: 'serious' })).body as typeof bobTraining
      const again = (await call('bob', 'POST', `${base}/${readingId}/session`, { mode: 'serious' })).body as typeof bobTraining
      const catSerious = (await call('cat', 'POST', `${base}/${readingId}/session`, { mode: 'serious' })).body as typeof bobTraining
      const order = (s: typeof bobTraining) => s.cases.map((c) => `${c.caseKey}/${c.repetition}`)
      expect(order(again)).toEqual(order(bobSerious))
      expect(order(catSerious)).toEqual(order(bobSerious))
      expect(again.sessionId).not.toBe(bobSerious.sessionId)
      expect(bobSerious.cases.map((c) => c.caseKey).slice(0, 4).sort()).toEqual(['P3#S1', 'P4#S2', 'P5#S1', 'P6#S3'])
      expect(bobSerious.cases.slice(4).map((c) => c.repetition)).toEqual([2, 2, 2, 2])
    })

    test('results: values checked, time bounds checked, useastag tags the study', async () => {
      const c = bobTraining.cases[0]!
      const submit = (who: string, s: typeof bobTraining, k: Case, mode: string, values: Record<string, unknown>, seconds = 1.5) =>
        call(who, 'POST', `${base}/${readingId}/results`, { sessionId: s.sessionId, caseKey: k.caseKey, repetition: k.repetition, stage: k.stage, mode, values, annotations: { rois: [] }, activeSeconds: seconds, startedAt: Date.now() - 3000 })
      expect((await submit('bob', bobTraining, c, 'training', { side: 'up' })).status).toBe(400)
      expect((await submit('bob', bobTraining, c, 'training', { nope: 1 })).status).toBe(400)
      expect((await submit('bob', bobTraining, c, 'training', { side: 'left' }, 3600)).status).toBe(400)
      expect((await submit('cat', bobTraining, c, 'training', { side: 'left' })).status).toBe(404)
      for (const [i, k] of bobTraining.cases.entries()) {
        const values = { side: i % 2 ? 'right' : 'left', calc: i === 1, size: 10 + i, comments: i === 2 ? 'a "quoted", text\nnext line' : '', stones: [{ label: 's1', position: [1.5, -2, 3] }] }
        const res = await submit('bob', bobTraining, k, 'training', values, 1 + i / 10)
        expect(res.status).toBe(200)
        expect((res.body as { ok: boolean; next: number | null }).next).toBe(i + 1 < bobTraining.cases.length ? i + 1 : null)
        posted.push({ user: 'bob', mode: 'training', caseKey: k.caseKey, repetition: k.repetition, stage: k.stage, values, seconds: 1 + i / 10 })
      }
      // the last submit for a study decides its tag: the radio's other options are untagged
      const lastFor = new Map<string, string>()
      for (const p of posted) lastFor.set(p.caseKey, p.values.side as string)
      for (const [key, side] of lastFor) {
        const [pid, sid] = key.split('#')
        const page = await h.services.studies.list(root, 'rd', { patients_id: pid, studies_id: sid })
        const row = page.rows.find((r) => r.patients_id === pid && r.studies_id === sid)!
        expect(row.tags).toContain(side)
        expect(row.tags).toContain('Training')
        expect(row.tags.filter((t) => ['none', 'left', 'right', 'both'].includes(t))).toEqual([side])
      }
      const catSerious = (await call('cat', 'POST', `${base}/${readingId}/session`, { mode: 'serious' })).body as typeof bobTraining
      for (const k of catSerious.cases.slice(0, 3)) {
        const values = { side: 'none', calc: true, size: 5 }
        expect((await submit('cat', catSerious, k, 'serious', values, 2)).status).toBe(200)
        posted.push({ user: 'cat', mode: 'serious', caseKey: k.caseKey, repetition: k.repetition, stage: k.stage, values, seconds: 2 })
      }
      const catTraining = (await call('cat', 'POST', `${base}/${readingId}/session`, { mode: 'training' })).body as typeof bobTraining
      const k = catTraining.cases[0]!
      expect((await submit('cat', catTraining, k, 'training', { side: 'both' }, 0.5)).status).toBe(200)
      posted.push({ user: 'cat', mode: 'training', caseKey: k.caseKey, repetition: k.repetition, stage: k.stage, values: { side: 'both' }, seconds: 0.5 })
      const progress = ((await call('bob', 'GET', base)).body as { progress: unknown }[])[0]!.progress
      expect(progress).toEqual({ training: { done: 4, total: 4 }, serious: { done: 0, total: 8 } })
      const again = (await call('bob', 'POST', `${base}/${readingId}/session`, { mode: 'training' })).body as typeof bobTraining
      expect(again.cases.every((c) => c.done)).toBe(true)
      expect(again.next).toBeNull()
    })

    test('results: readers see their own, reading admins all', async () => {
      const own = (await call('bob', 'GET', `${base}/${readingId}/results`)).body as { user: string }[]
      expect(own.length).toBe(4)
      expect(new Set(own.map((r) => r.user))).toEqual(new Set(['bob']))
      const all = (await call('ann', 'GET', `${base}/${readingId}/results`)).body as { user: string; seconds: number; values: Record<string, unknown> }[]
      expect(all.length).toBe(posted.length)
      expect(all.map((r) => r.seconds).sort()).toEqual(posted.map((p) => p.seconds).sort())
    })

    test('CSV: one row per reader × case × repetition, every form value a column (checked against what was posted)', async () => {
      const res = await call('ann', 'GET', `${base}/${readingId}/results.csv`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('text/csv')
      const rows = parseCsv(res.body as string)
      const header = rows[0]!
      expect(header).toEqual(['reader', 'mode', 'case', 'patients_id', 'studies_id', 'study_path', 'repetition', 'stage', 'started_at', 'submitted_at', 'seconds', 'side', 'calc', 'size', 'comments', 'stones', 'annotations'])
      const body = rows.slice(1)
      expect(body.length).toBe(posted.length)
      const col = (r: string[], name: string) => r[header.indexOf(name)]!
      const got = body.map((r) => [col(r, 'reader'), col(r, 'mode'), col(r, 'case'), col(r, 'repetition'), col(r, 'stage'), col(r, 'seconds'), col(r, 'side'), col(r, 'calc'), col(r, 'size'), col(r, 'comments'), col(r, 'stones')].join('|'))
      const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v))
      const want = posted.map((p) => [p.user, p.mode, p.caseKey, p.repetition, p.stage, p.seconds, cell(p.values.side), cell(p.values.calc), cell(p.values.size), cell(p.values.comments), cell(p.values.stones)].join('|'))
      expect(got.sort()).toEqual(want.sort())
      for (const r of body) {
        const [pid, sid] = col(r, 'case').split('#')
        expect([col(r, 'patients_id'), col(r, 'studies_id'), col(r, 'study_path')]).toEqual([pid!, sid!, `${pid}/${sid}`])
        expect(Date.parse(col(r, 'submitted_at')) - Date.parse(col(r, 'started_at'))).toBeGreaterThanOrEqual(2500)
      }
      const bobsCsv = parseCsv((await call('bob', 'GET', `${base}/${readingId}/results.csv`)).body as string)
      expect(bobsCsv.slice(1).every((r) => r[0] === 'bob')).toBe(true)
    })

    test('autoloader files of a case', async () => {
      const files = (await call('bob', 'GET', `${base}/${readingId}/cases/${encodeURIComponent('P3#S1')}/files`)).body as { path: string; url: string }[]
      expect(files).toEqual([{ path: 'P3/S1/anat/t1.nii', url: '/api/projects/rd/files/P3/S1/anat/t1.nii', viewport: 1, as: 'background', colormap: 'gray' }] as never)
    })

    test('restart deletes only the caller\'s results of that mode; serious restart refused when not allowed', async () => {
      expect((await call('bob', 'POST', `${base}/${readingId}/restart`, { mode: 'serious' })).status).toBe(403)
      const res = await call('bob', 'POST', `${base}/${readingId}/restart`, { mode: 'training' })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ deleted: 4 })
      const all = (await call('ann', 'GET', `${base}/${readingId}/results`)).body as { user: string; mode: string }[]
      expect(all.filter((r) => r.user === 'bob').length).toBe(0)
      expect(all.filter((r) => r.user === 'cat').map((r) => r.mode).sort()).toEqual(['serious', 'serious', 'serious', 'training'])
    })

    test('a browser session: writes need the CSRF token, as every write of the app', async () => {
      const { cookie, csrf } = await h.login('bob', PW)
      const post = (headers: Record<string, string>) => h.request(`${base}/${readingId}/session`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ mode: 'training' }) })
      expect((await post({})).status).toBe(403)
      const ok = await post({ 'x-csrf-token': csrf })
      expect(ok.status).toBe(200)
      expect(((await ok.json()) as { cases: unknown[] }).cases.length).toBe(4)
    })

    test('joint mode: one shared session and one result per case for all readers; stages with their own autoloaders', async () => {
      const stages = [{ name: 'raw' }, { name: 'AI', autoloaders: [{ pattern: 'ai/*.nii', as: 'overlay', colormap: 'hot' }] }]
      const created = await call('ann', 'POST', base, { config: readingConfig({ name: 'joint one', mode: 'joint', reading: { reading: { random: 'full', stages, mode_serious: { filter: 'STAG:Training' } }, viewer: { autoloaders: [{ pattern: 'anat/*.nii' }] } } }) })
      const id = (created.body as { id: number }).id
      const bob = (await call('bob', 'POST', `${base}/${id}/session`, { mode: 'serious' })).body as { sessionId: number; cases: Case[]; next: number }
      const cat = (await call('cat', 'POST', `${base}/${id}/session`, { mode: 'serious' })).body as typeof bob
      expect(cat.sessionId).toBe(bob.sessionId)
      expect(cat.cases).toEqual(bob.cases)
      expect(bob.cases.map((c) => c.stage)).toEqual([1, 2, 1, 2])
      expect(bob.cases[0]!.caseKey).toBe(bob.cases[1]!.caseKey)
      const submit = (who: string, k: Case) => call(who, 'POST', `${base}/${id}/results`, { sessionId: bob.sessionId, caseKey: k.caseKey, repetition: k.repetition, stage: k.stage, mode: 'serious', values: { side: 'none' }, activeSeconds: 1, startedAt: Date.now() - 2000 })
      expect((await submit('bob', bob.cases[0]!)).status).toBe(200)
      const seen = (await call('cat', 'POST', `${base}/${id}/session`, { mode: 'serious' })).body as typeof bob
      expect(seen.cases.map((c) => c.done)).toEqual([true, false, false, false])
      expect(seen.next).toBe(1)
      expect((await submit('cat', bob.cases[1]!)).status).toBe(200)
      expect((await submit('cat', bob.cases[0]!)).status).toBe(200) // the one result of that slot, now cat's
      const all = (await call('ann', 'GET', `${base}/${id}/results`)).body as { user: string; stage: number }[]
      expect(all.map((r) => `${r.user}/${r.stage}`).sort()).toEqual(['cat/1', 'cat/2'])
      const progress = ((await call('bob', 'GET', base)).body as { id: number; progress: { serious: unknown } }[]).find((r) => r.id === id)!.progress.serious
      expect(progress).toEqual({ done: 2, total: 4 })
      const key = encodeURIComponent(bob.cases[0]!.caseKey)
      const raw = (await call('bob', 'GET', `${base}/${id}/cases/${key}/files?stage=1`)).body as { path: string; as: string }[]
      const ai = (await call('bob', 'GET', `${base}/${id}/cases/${key}/files?stage=2`)).body as { path: string; as: string; colormap: string }[]
      expect(raw.map((f) => f.path)).toEqual([`${bob.cases[0]!.pid}/${bob.cases[0]!.sid}/anat/t1.nii`])
      expect(ai.map((f) => [f.path, f.as, f.colormap])).toEqual([[`${bob.cases[0]!.pid}/${bob.cases[0]!.sid}/ai/seg.nii`, 'overlay', 'hot']])
    })

    test('randomised per image: each image a case, the autoloader loads that image', async () => {
      const created = await call('ann', 'POST', base, { config: readingConfig({ name: 'images', reading: { reading: { random: 'idhash', randomise: 'image', imagePattern: '*.nii', mode_serious: { filter: 'STAG:Training' } } } }) })
      const id = (created.body as { id: number }).id
      const s = (await call('bob', 'POST', `${base}/${id}/session`, { mode: 'serious' })).body as { cases: Case[] }
      expect(s.cases.map((c) => c.caseKey).sort()).toEqual(['P1#S1#ai/seg.nii', 'P1#S1#anat/t1.nii', 'P2#S1#ai/seg.nii', 'P2#S1#anat/t1.nii'])
      const again = (await call('cat', 'POST', `${base}/${id}/session`, { mode: 'serious' })).body as { cases: Case[] }
      expect(again.cases.map((c) => c.caseKey)).toEqual(s.cases.map((c) => c.caseKey))
      const c = s.cases.find((x) => x.caseKey === 'P2#S1#ai/seg.nii')!
      expect(c.studyPath).toBe('P2/S1/ai/seg.nii')
      const files = (await call('bob', 'GET', `${base}/${id}/cases/${encodeURIComponent(c.caseKey)}/files`)).body as { path: string }[]
      expect(files.map((f) => f.path)).toEqual(['P2/S1/ai/seg.nii'])
    })

    test('blind mode: tokens instead of ids, neutral labels, files through the reading, no values in the reader\'s results', async () => {
      const created = await call('ann', 'POST', base, { config: readingConfig({ name: 'blind one', mode: 'blind', reading: { reading: { random: 'full', mode_serious: { filter: 'STAG:Training' } }, viewer: { autoloaders: [{ pattern: 'anat/*.nii' }] } } }) })
      expect(created.status).toBe(201)
      const id = (created.body as { id: number }).id
      const s = (await call('bob', 'POST', `${base}/${id}/session`, { mode: 'serious' })).body as { sessionId: number; cases: Case[] }
      expect(s.cases.length).toBe(2)
      const text = JSON.stringify(s)
      for (const x of ['P1', 'P2', 'S1', 'Alpha', 'Beta', '2020']) expect(text).not.toContain(x)
      expect(s.cases.map((c) => c.label)).toEqual(['Case 1', 'Case 2'])
      const c = s.cases[0]!
      expect(c.pid).toBe(c.caseKey)
      const files = (await call('bob', 'GET', `${base}/${id}/cases/${c.caseKey}/files`)).body as { path: string; url: string }[]
      expect(files.length).toBe(1)
      expect(files[0]!.path).toBe('anat/t1.nii')
      expect(files[0]!.url).not.toMatch(/P1|P2/)
      const bytes = await h.request(files[0]!.url, { headers: { authorization: `Bearer ${tokens.bob}` } })
      expect(bytes.status).toBe(200)
      expect(await bytes.text()).toMatch(/^image of P[12]$/)
      expect((await call('bob', 'GET', `${base}/${id}/cases/${encodeURIComponent('P1#S1')}/files`)).status).toBe(404)
      expect((await call('cat', 'GET', `${base}/${id}/cases/${c.caseKey}/file?path=${encodeURIComponent('../../P3/S1/anat/t1.nii')}`)).status).toBeGreaterThanOrEqual(400)
      // only what the reading loads: another file of the same study (it exists) is not served
      expect((await call('bob', 'GET', `${base}/${id}/cases/${c.caseKey}/file?path=${encodeURIComponent('ai/seg.nii')}`)).status).toBe(404)
      const posted = await call('bob', 'POST', `${base}/${id}/results`, { sessionId: s.sessionId, caseKey: c.caseKey, repetition: 1, stage: 1, mode: 'serious', values: { side: 'none' }, activeSeconds: 1, startedAt: Date.now() - 2000 })
      expect(posted.status).toBe(200)
      const mine = (await call('bob', 'GET', `${base}/${id}/results`)).body as Record<string, unknown>[]
      expect(mine.length).toBe(1)
      expect(mine[0]!.values).toBeNull()
      expect(JSON.stringify(mine)).not.toMatch(/P1|P2|none/)
      expect((await call('cat', 'GET', `${base}/${id}/results`)).body).toEqual([])
      const admin = (await call('ann', 'GET', `${base}/${id}/results`)).body as { caseKey: string; values: unknown }[]
      expect(admin[0]!.values).toEqual({ side: 'none' })
      expect(admin[0]!.caseKey).toMatch(/^P[12]#S1$/)
      expect((await call('bob', 'GET', `${base}/${id}/results.csv`)).status).toBe(403)
      expect((await call('ann', 'DELETE', `${base}/${id}`)).status).toBe(200)
      expect((await call('ann', 'GET', `${base}/${id}`)).status).toBe(404)
    })
  })
}
