import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { User } from '../../../src/core/types'
import { startApp, type Dialect, type Harness } from '../http/harness'

const PW = 'long enough password 1'
const XSS = '<img src=x onerror=alert(1)>'
const XSS_ESCAPED = '&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;'

/** Names built to break naive SQL or LIKE handling; each must match itself only. */
const HOSTILE = [
  { pid: 'H01', name: "O'Brien" },
  { pid: 'H02', name: '100%' },
  { pid: 'H03', name: '1000' },
  { pid: 'H04', name: 'a;b' },
  { pid: 'H05', name: `x' OR '1'='1` },
  { pid: 'H06', name: "x'; DROP TABLE subjects; --" },
  { pid: 'H07', name: 'back\\slash' },
  { pid: 'H08', name: 'under_score' },
  { pid: 'H09', name: 'underXscore' },
]

function security(dialect: Dialect) {
  describe(`table security (${dialect})`, () => {
    let h: Harness
    let alice: { cookie: string; csrf: string }
    let mallory: { cookie: string; csrf: string }

    beforeAll(async () => {
      h = await startApp(dialect, 'auth: { maxFailedLogins: 1000 }')
      const a: User = await h.user('alice', PW)
      await h.user('mallory', PW)
      const { repos } = h.services
      const project = await h.services.archive.createProject(a, 'lab')
      await repos.rights.grant(a.id, project.id, 'write')
      const p = await repos.subjects.ensureSubject(project.id, 'P001', { name: XSS })
      const s = await repos.subjects.ensureStudy(project.id, p.id, 'S01', { description: XSS })
      const f = await repos.files.upsert(project.id, s.id, `t1/${'s001.nii'}`, 10, 'nifti')
      // Tags reach the store through other ways than the API (CLI, imports of older archives): the table must escape them.
      await repos.tags.add('subject', [p.id], [XSS])
      await repos.tags.add('study', [s.id], [XSS])
      await repos.tags.add('file', [f], [XSS])
      for (const x of HOSTILE) {
        const sub = await repos.subjects.ensureSubject(project.id, x.pid, { name: x.name })
        await repos.subjects.ensureStudy(project.id, sub.id, 'S01')
      }
      // Paths for the file bar's index ranges: letter case, a literal %, and _ (one character) in the literal start.
      const fsub = await repos.subjects.ensureSubject(project.id, 'F00', { name: 'files' })
      for (const [sid, path] of [['F1', 'T1_MPRAGE/S001.nii'], ['F2', 'a%b/x.nii'], ['F3', 'a_b/x.nii'], ['F4', 'aXb/x.nii'], ['F5', 'deep/a%b/x.nii']]) {
        const st = await repos.subjects.ensureStudy(project.id, fsub.id, sid!)
        await repos.files.upsert(project.id, st.id, path!, 1, 'nifti')
      }
      alice = await h.login('alice', PW)
      mallory = await h.login('mallory', PW)
    }, 60_000)
    afterAll(async () => {
      await h?.close()
    })

    const get = (path: string, who: { cookie: string }, htmx = false) => h.request(path, { headers: { cookie: who.cookie, ...(htmx ? { 'hx-request': 'true' } : {}) }, redirect: 'manual' })

    test('a hostile PatientName, description and tags render as text in the rows, chips, tooltips and the file tree', async () => {
      for (const htmx of [true, false]) {
        const html = await (await get('/projects/lab/table?patients_id=P001', alice, htmx)).text()
        expect(html).not.toMatch(/<img[\s>]/i)
        expect(html).not.toContain('onerror=alert')
        expect(html).toContain(`<td title="${XSS_ESCAPED}">${XSS_ESCAPED}</td>`) // name cell and its tooltip
        expect(html).toContain(`data-tag="${XSS_ESCAPED}" data-target="study" data-item="P001#S01" title="study tag: ${XSS_ESCAPED}"><span class="chip-text">${XSS_ESCAPED}</span>`)
        expect(html).toContain(`data-tag="${XSS_ESCAPED}" data-target="subject" data-item="P001" title="subject tag: ${XSS_ESCAPED}"`)
        expect(html).toContain(`aria-label="remove tag ${XSS_ESCAPED}"`)
      }
      const tree = await (await get('/projects/lab/studies/P001/S01/files', alice, true)).text()
      expect(tree).not.toMatch(/<img[\s>]/i)
      expect(tree).toContain(`<span class="chip-text">${XSS_ESCAPED}</span>`)
      expect(tree).toContain(`title="file tag: ${XSS_ESCAPED}"`)
      // The JSON API returns the data as data (JSON-escaped by the client's textContent).
      const api = (await (await get('/api/projects/lab/studies?patients_id=P001', alice)).json()) as { rows: { name: string; tags: string[] }[] }
      expect(api.rows[0]!.name).toBe(XSS)
      expect(api.rows[0]!.tags).toEqual([XSS])
    })

    test('filter input with quotes, %, ;, backslashes and SQL fragments matches only the rows that start with it', async () => {
      const names = async (bar: string, value: string) => {
        const res = await get(`/api/projects/lab/studies?${bar}=${encodeURIComponent(value)}`, alice)
        expect(res.status).toBe(200)
        return ((await res.json()) as { rows: { name: string }[] }).rows.map((r) => r.name).sort()
      }
      expect(await names('name', "O'Brien")).toEqual(["O'Brien"])
      expect(await names('name', "O'")).toEqual(["O'Brien"])
      expect(await names('name', '100%')).toEqual(['100%']) // % is a literal, not a wildcard: 1000 does not match
      expect(await names('name', '%')).toEqual([])
      expect(await names('name', 'a;b')).toEqual(['a;b'])
      expect(await names('name', "x' OR '1'='1")).toEqual([`x' OR '1'='1`, "x'; DROP TABLE subjects; --"]) // three OR-ed terms: x', OR, '1'='1
      expect(await names('name', `"x' OR '1'='1"`)).toEqual([`x' OR '1'='1`]) // quoted: one term
      expect(await names('name', "' OR 1=1 --")).toEqual([])
      expect(await names('name', "'; DROP TABLE subjects; --")).toEqual([])
      expect(await names('name', '"\'; DROP TABLE subjects; --"')).toEqual([]) // quoted: the whole phrase, which no name starts with
      expect(await names('name', "x';")).toEqual(["x'; DROP TABLE subjects; --"])
      expect(await names('name', '"x\'; DROP TABLE"')).toEqual(["x'; DROP TABLE subjects; --"])
      expect(await names('name', 'back\\')).toEqual(['back\\slash'])
      expect(await names('name', 'under_')).toEqual(['underXscore', 'under_score']) // _ is the one-character wildcard
      expect(await names('q', "1' UNION SELECT password_hash FROM users --")).toEqual([])
      expect(await names('file', "'); DELETE FROM files; --")).toEqual([])
      expect(await names('q', 'STAG:%')).toEqual([])
      // The file bar: case-blind, % literal, _ one character; a pattern without / also matches a later path segment.
      const studiesOf = async (file: string) =>
        ((await (await get(`/api/projects/lab/studies?file=${encodeURIComponent(file)}`, alice)).json()) as { rows: { studies_id: string }[] }).rows.map((r) => r.studies_id).sort()
      expect(await studiesOf('t1_mprage/s0')).toEqual(['F1'])
      expect(await studiesOf('T1?MPRAGE/')).toEqual([])
      expect(await studiesOf('a%b/')).toEqual(['F2'])
      expect(await studiesOf('A_B/X.NII')).toEqual(['F2', 'F3', 'F4'])
      expect(await studiesOf('a%b')).toEqual(['F2', 'F5'])
      expect(await studiesOf("a%b/x.nii' OR 1=1 --")).toEqual([]) // no path starts with a%b/x.nii' (nor a segment with OR, 1=1, --)
      expect(await studiesOf("a%b/x.nii 'OR 1=1 --")).toEqual(['F2'])
      expect(await studiesOf('a%b/ & STAG:nothing')).toEqual([])
      // Every table is still there, every row still found.
      expect((await h.services.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM subjects'))!.n).toBe(HOSTILE.length + 2)
      expect((await names('name', '')).length).toBe(HOSTILE.length + 1 + 5)
      // The same through the table page.
      const html = await (await get(`/projects/lab/table?name=${encodeURIComponent("O'Brien")}`, alice, true)).text()
      expect([...html.matchAll(/<tr class="row study" data-psid="([^"]+)"/g)].map((m) => m[1])).toEqual(['H01#S01'])
    })

    test('a user without rights on the project gets 403 for its pages, partials and API, also for guessed psids', async () => {
      const reads = [
        '/projects/lab/table',
        '/projects/lab/table?name=O',
        '/projects/lab/studies/P001/S01/files',
        '/projects/lab/studies/NOPE/S99/files',
        '/api/projects/lab/studies',
        '/api/projects/lab/studies?q=P00',
        '/api/projects/lab/autoloaders',
        '/api/projects/lab/autoloaders/resolve?psid=P001%23S01',
        '/api/projects/lab/autoloaders/resolve?psid=GUESS%23S1',
      ]
      for (const path of reads) {
        for (const htmx of [false, true]) {
          const res = await get(path, mallory, htmx)
          expect(`${path} ${res.status}`).toBe(`${path} 403`)
          const text = await res.text()
          expect(text).not.toContain('P001')
          expect(text).not.toContain('onerror')
        }
      }
      const writes: [string, string, unknown][] = [
        ['POST', '/api/projects/lab/tags', { target: 'study', items: ['P001#S01'], tag: 'x' }],
        ['DELETE', '/api/projects/lab/tags', { target: 'study', items: ['P001#S01'], tag: 'x' }],
        ['PUT', '/api/projects/lab/autoloaders', { presets: [] }],
        ['POST', '/api/projects/lab/files?name=a.nii&psid=P001%23S01', 'abc'],
        ['POST', '/api/projects/lab/files?name=a.dcm&native=1', 'abc'],
      ]
      for (const [method, path, body] of writes) {
        const res = await h.request(path, {
          method,
          headers: { cookie: mallory.cookie, 'x-csrf-token': mallory.csrf, 'content-type': typeof body === 'string' ? 'application/octet-stream' : 'application/json', accept: 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        })
        expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 403`)
      }
    })

    test('the CSRF token is required on tag, upload and autoloader changes (a wrong token or another origin is refused)', async () => {
      const cases: [string, string, string, Record<string, string>][] = [
        ['POST', '/api/projects/lab/tags', JSON.stringify({ target: 'study', items: ['P001#S01'], tag: 'csrf' }), { 'content-type': 'application/json' }],
        ['DELETE', '/api/projects/lab/tags', JSON.stringify({ target: 'study', items: ['P001#S01'], tag: 'csrf' }), { 'content-type': 'application/json' }],
        ['PUT', '/api/projects/lab/autoloaders', JSON.stringify({ presets: [] }), { 'content-type': 'application/json' }],
        ['POST', '/api/projects/lab/files?name=csrf.nii&psid=P001%23S01', 'abc', { 'content-type': 'application/octet-stream' }],
      ]
      for (const [method, path, body, headers] of cases) {
        for (const extra of [{}, { 'x-csrf-token': 'f'.repeat(64) }, { 'x-csrf-token': alice.csrf, origin: 'http://evil.example' }] as Record<string, string>[]) {
          const res = await h.request(path, { method, body, headers: { cookie: alice.cookie, accept: 'application/json', ...headers, ...extra } })
          expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 403`)
        }
      }
      expect((await h.services.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM study_tags WHERE tag = 'csrf'"))!.n).toBe(0)
      expect((await h.services.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM files WHERE path LIKE '%csrf%'"))!.n).toBe(0)
      // With the token it works: the refusals above were about the token.
      const ok = await h.request('/api/projects/lab/tags', {
        method: 'POST',
        body: JSON.stringify({ target: 'study', items: ['P001#S01'], tag: 'csrf' }),
        headers: { cookie: alice.cookie, 'x-csrf-token': alice.csrf, 'content-type': 'application/json', accept: 'application/json' },
      })
      expect(ok.status).toBe(200)
    })
  })
}

security('sqlite')
security('mysql')
