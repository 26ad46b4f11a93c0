import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Services } from '../../../src/app'
import type { User } from '../../../src/core/types'
import { startApp, type Harness } from '../http/harness'

const PW = 'long enough password 1'
const XSS = '<img src=x onerror=alert(1)>'
const TAG_XSS = '<script>alert(2)</script>'

/** Seven studies of five subjects; file names follow the seed's series-folder/sNNN.nii layout. */
const FIXTURE = [
  { pid: 'P001', name: 'Adams^Anna', birth: '19800101', studies: [
    { sid: 'S01', date: '20240101', desc: 'Brain MR', mod: 'MR', files: [['t1_trio_3/s001.nii', 352], ['t1_trio_3/s001.json', 1500]], tags: ['control'] },
    { sid: 'S02', date: '20240201', desc: 'Brain CT', mod: 'CT', files: [['ct_head/s001.nii.gz', 2_500_000]] },
  ] },
  { pid: 'P002', name: 'Baker^Bob', birth: '19700202', studies: [{ sid: 'S01', date: '20230505', desc: 'MPR study', mod: 'MR', files: [['MPR_t1_sag/s123.nii', 10]], tags: ['x'] }] },
  { pid: 'P003', name: XSS, birth: '19600303', studies: [{ sid: 'S01', date: '20220101', desc: '<b>bold</b>', mod: 'MR', files: [['t1_trio_3/s002.nii', 10]], tags: ['x', TAG_XSS] }] },
  { pid: 'P004', name: 'Carter^Cid', birth: '19500404', studies: [
    { sid: 'S01', date: '20210101', desc: 'Knee', mod: 'MR', files: [['t1_trio_3/s005.nii', 10]] },
    { sid: 'S02', date: '20210202', desc: 'Knee follow-up', mod: 'MR', files: [['t1_trio_3/s006.nii', 10]], tags: ['xylophone'] },
  ] },
  { pid: 'P005', name: 'adams^zoe', birth: '19900505', studies: [{ sid: 'S01', date: '20200101', desc: '', mod: 'PT', files: [['pet/s001.nii', 10]] }] },
] as const

async function load(s: Services, projectName: string) {
  const { repos } = s
  const project = await repos.projects.create(projectName)
  for (const sub of FIXTURE) {
    const subject = await repos.subjects.ensureSubject(project.id, sub.pid, { name: sub.name, birthDate: sub.birth, sex: 'O' })
    for (const st of sub.studies) {
      const study = await repos.subjects.ensureStudy(project.id, subject.id, st.sid, { studyDate: st.date, description: st.desc, modality: st.mod })
      for (const [path, size] of st.files) await repos.files.upsert(project.id, study.id, path, size, 'nifti')
      if ('tags' in st) await repos.tags.add('study', [study.id], [...st.tags])
    }
  }
  return project
}

/** The PID#SID of each row in the table body, in order. */
const psids = (html: string) => [...(html.match(/<tbody id="table-body">[\s\S]*?<\/tbody>/)?.[0] ?? '').matchAll(/<tr class="row[^"]*" data-psid="([^"]*)"/g)].map((m) => m[1]!)

describe('subject/study table pages (sqlite)', () => {
  let h: Harness
  let alice: { cookie: string; csrf: string }
  let bob: { cookie: string; csrf: string }
  let aliceUser: User

  beforeAll(async () => {
    h = await startApp('sqlite', 'auth: { maxFailedLogins: 1000 }')
    aliceUser = await h.user('alice', PW)
    await h.user('bob', PW)
    const project = await load(h.services, 'lab')
    await h.services.repos.rights.grant(aliceUser.id, project.id, 'read')
    alice = await h.login('alice', PW)
    bob = await h.login('bob', PW)
  })
  afterAll(async () => {
    await h?.close()
  })

  const get = (path: string, who: { cookie: string } | undefined, htmx = true) =>
    h.request(path, { headers: { ...(who ? { cookie: who.cookie } : {}), ...(htmx ? { 'hx-request': 'true' } : {}) }, redirect: 'manual' })
  const table = async (query = '', who = alice) => {
    const res = await get(`/projects/lab/table${query ? `?${query}` : ''}`, who)
    expect(res.status).toBe(200)
    return res.text()
  }

  test('with HX-Request: the region alone, all 7 studies sorted by patients_id, with every column and the bars', async () => {
    const res = await get('/projects/lab/table', alice)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/html')
    const html = await res.text()
    expect(html.trimStart().startsWith('<section id="table-region"')).toBe(true)
    expect(html).not.toContain('<html')
    expect(psids(html)).toEqual(['P001#S01', 'P001#S02', 'P002#S01', 'P003#S01', 'P004#S01', 'P004#S02', 'P005#S01'])
    for (const bar of ['file', 'q', 'patients_id', 'name', 'birth_date', 'studies_id', 'study_date', 'description', 'modality'])
      expect(html).toMatch(new RegExp(`<input id="bar-${bar}" type="search" name="${bar}"[^>]*hx-trigger="keyup changed delay:300ms, search" hx-include="#table-region"`))
    expect(html).toContain('1–7 of 7 studies')
    expect(html).toContain('2024-01-01') // study date shown as a date
    expect(html).toContain('<span class="chip" data-tag="control" data-target="study" data-item="P001#S01" title="study tag: control"><span class="chip-text">control</span></span>')
    // Rows of studies load their file tree.
    expect(html).toContain('hx-get="&#x2F;projects&#x2F;lab&#x2F;studies&#x2F;P001&#x2F;S01&#x2F;files" hx-target="#file-tree"')
  })

  test('without HX-Request: the whole desktop with the same table in the workspace', async () => {
    const res = await get('/projects/lab/table?name=Adams', alice, false)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<!doctype html>')
    expect(html).toContain('id="project-list"')
    expect(html).toContain('id="file-tree"')
    expect(psids(html)).toEqual(['P001#S01', 'P001#S02', 'P005#S01'])
    expect(html).toContain('id="bar-name" type="search" name="name" value="Adams"')
  })

  test('the name bar narrows the rows (prefix, ignoring case; spaces are OR)', async () => {
    expect(psids(await table('name=adams'))).toEqual(['P001#S01', 'P001#S02', 'P005#S01'])
    expect(psids(await table('name=Baker Carter'))).toEqual(['P002#S01', 'P004#S01', 'P004#S02'])
    const none = await table('name=Nobody')
    expect(psids(none)).toEqual([])
    expect(none).toContain('No studies match these filters.')
    expect(none).toContain('0–0 of 0 studies')
  })

  test('the file search bar: */s0*.nii & STAG:x keeps the studies with such a file and the tag', async () => {
    expect(psids(await table(`file=${encodeURIComponent('*/s0*.nii & STAG:x')}`))).toEqual(['P003#S01', 'P004#S02'])
    // STAG:x has an implicit trailing wildcard (xylophone); an exact pattern without the tag matches all s0 files.
    expect(psids(await table(`file=${encodeURIComponent('t1_trio_3/s00*.nii')}`))).toEqual(['P001#S01', 'P003#S01', 'P004#S01', 'P004#S02'])
    // Bars combine: every bar must hold.
    expect(psids(await table(`file=${encodeURIComponent('*/s0*.nii & STAG:x')}&name=Carter`))).toEqual(['P004#S02'])
  })

  test('a study tag added through the repos is found by STAG in the file bar', async () => {
    const project = (await h.services.repos.projects.byName('lab'))!
    const study = (await h.services.db.get<{ id: number }>("SELECT s.id AS id FROM studies s JOIN subjects p ON p.id = s.subject_id WHERE p.project_id = ? AND p.patients_id = 'P005'", [project.id]))!
    expect(psids(await table(`file=${encodeURIComponent('STAG:fresh')}`))).toEqual([])
    await h.services.repos.tags.add('study', [study.id], ['fresh'])
    const html = await table(`file=${encodeURIComponent('pet/s0*.nii & STAG:fresh')}`)
    expect(psids(html)).toEqual(['P005#S01'])
    expect(html).toContain('<span class="chip-text">fresh</span>')
  })

  test('sorting by a header: sort=name dir=desc, and the header offers the other direction', async () => {
    const html = await table('sort=name&dir=desc')
    // Names ignoring case, Z to A: Carter, Baker, adams^zoe, Adams^Anna, then the name starting with "<".
    expect([...new Set(psids(html).map((p) => p.split('#')[0]))]).toEqual(['P004', 'P002', 'P005', 'P001', 'P003'])
    // The name header is active, descending, and its next click asks for ascending.
    expect(html).toMatch(/<th data-col="name" aria-sort="descending"><a class="sort active" data-sort="name"[^>]*hx-vals="\{&quot;sort&quot;:&quot;name&quot;,&quot;dir&quot;:&quot;asc&quot;\}"/)
    expect(html).toContain('<input type="hidden" name="sort" value="name">')
    expect(html).toContain('<input type="hidden" name="dir" value="desc">')
    const byDate = psids(await table('sort=study_date&dir=asc'))
    expect(byDate).toEqual(['P005#S01', 'P004#S01', 'P004#S02', 'P003#S01', 'P002#S01', 'P001#S01', 'P001#S02'])
  })

  test('paging: limit 3, next and previous', async () => {
    const first = await table('limit=3')
    expect(psids(first)).toEqual(['P001#S01', 'P001#S02', 'P002#S01'])
    expect(first).toContain('1–3 of 7 studies')
    expect(first).not.toContain('class="prev"')
    expect(first).toMatch(/class="next"[^>]*hx-vals="\{&quot;offset&quot;:3\}"/)
    const second = await table('limit=3&offset=3')
    expect(psids(second)).toEqual(['P003#S01', 'P004#S01', 'P004#S02'])
    expect(second).toContain('4–6 of 7 studies')
    expect(second).toMatch(/class="prev"[^>]*hx-vals="\{&quot;offset&quot;:0\}"/)
    const last = await table('limit=3&offset=6')
    expect(psids(last)).toEqual(['P005#S01'])
    expect(last).not.toContain('class="next"')
  })

  test('subject level: one row per subject, counting its matching studies', async () => {
    const html = await table('level=subject&modality=MR')
    expect(psids(html)).toEqual(['P001', 'P002', 'P003', 'P004'])
    expect(html).toContain('2 studies')
    expect(html).toContain('1–4 of 4 subjects')
  })

  test('hostile names and tags render as text', async () => {
    const html = await table('name=%3Cimg')
    expect(psids(html)).toEqual(['P003#S01'])
    expect(html).not.toContain(XSS)
    expect(html).not.toMatch(/<img[\s>]/i)
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toContain('<b>')
    expect(html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;')
    expect(html).toContain('&lt;script&gt;alert(2)&lt;&#x2F;script&gt;')
    expect(html).toContain('&lt;b&gt;bold&lt;&#x2F;b&gt;')
    // A hostile bar value is echoed into its input as text too.
    const echoed = await table(`q=${encodeURIComponent('"><script>alert(3)</script>')}`)
    expect(echoed).not.toContain('<script>alert(3)')
    expect(echoed).toContain('value="&quot;&gt;&lt;script&gt;alert(3)')
  })

  test('the file tree of one study: series folders with their files, sizes and type badges', async () => {
    const res = await get('/projects/lab/studies/P001/S01/files', alice)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('Files of <span class="psid">P001#S01</span>')
    expect(html).toContain('1 series · 2 files')
    expect(html).toContain('<span class="folder">t1_trio_3</span> <span class="muted">2 files · 1.8 KB</span>')
    expect(html).toContain('<span class="folder">t1_trio_3</span>')
    expect(html).toMatch(/data-path="P001&#x2F;S01&#x2F;t1_trio_3&#x2F;s001.json" data-type="json" data-nora-file="&#x2F;api&#x2F;projects&#x2F;lab&#x2F;files&#x2F;P001&#x2F;S01&#x2F;t1_trio_3&#x2F;s001.json" data-nora-name="s001.json" draggable="true" title="s001.json"><span class="badge t-json">JSON<\/span> <span class="fname">s001.json<\/span> <span class="size muted" title="1500 bytes">1.5 KB<\/span>/)
    expect(html).toMatch(/<span class="badge t-nifti">NII<\/span> <span class="fname">s001.nii<\/span> <span class="size muted" title="352 bytes">352 B<\/span>/)
    expect(html).not.toContain('ct_head') // only this study's files
    const ct = await (await get('/projects/lab/studies/P001/S02/files', alice)).text()
    expect(ct).toContain('1 series · 1 file<')
    expect(ct).toContain('2.4 MB')
    expect(ct).toContain('s001.nii.gz')
  })

  test('a user without the read right gets 403 for the table and the file tree; no data leaks', async () => {
    for (const path of ['/projects/lab/table', '/projects/lab/table?name=Adams', '/projects/lab/studies/P001/S01/files']) {
      const res = await get(path, bob)
      expect(res.status).toBe(403)
      const body = await res.text()
      expect(body).not.toContain('Adams')
      expect(body).not.toContain('t1_trio_3')
    }
    // Without a session: to the login page, coming back here afterwards.
    const anon = await get('/projects/lab/table?name=A', undefined, false)
    expect(anon.status).toBe(303)
    expect(anon.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/projects/lab/table?name=A')}`)
  })

  test('bad parameters are a 400, not a crash', async () => {
    expect((await get('/projects/lab/table?sort=password', alice)).status).toBe(400)
    expect((await get('/projects/lab/table?offset=-1', alice)).status).toBe(400)
    expect((await get('/projects/lab/table?dir=sideways', alice)).status).toBe(400)
  })

  test('an unknown project is a 404', async () => {
    expect((await get('/projects/nosuch/table', alice)).status).toBe(404)
  })
})
