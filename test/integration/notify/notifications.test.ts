import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { User } from '../../../src/core/types'
import { serviceOrSkip, titled } from '../../services/slurm'
import { startSmtpSink, type SmtpSink } from '../../services/smtp-sink'
import { startApp, type Harness } from '../http/harness'

const PW = 'long enough password 1'
const P = 'notifyP'
const up = await serviceOrSkip('aiosmtpd', startSmtpSink)
afterAll(async () => (up.handle as SmtpSink | undefined)?.stop()) // the sink serves every describe of this file

/** The Subject header, unfolded and its RFC 2047 Q-encoded words decoded. */
function subjectOf(mail: string): string {
  const raw = mail.match(/^Subject: (.*(?:\n[ \t].*)*)/m)![1]!.replace(/\n[ \t]/g, ' ')
  return raw.replace(/=\?UTF-8\?Q\?([^?]*)\?=\s*/gi, (_, q: string) => Buffer.from(q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'))
}

/** Polls `probe` until it gives a value (a busy machine: never a fixed sleep). */
async function until<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out')
    await Bun.sleep(100)
  }
}

describe.skipIf(!up.handle)(titled('notifications: a batch on the local runner, the bell, and mail through a real SMTP server (aiosmtpd)', up.skip), () => {
  const sink = up.handle as SmtpSink
  let h: Harness
  let ann: User
  let annS: { cookie: string; csrf: string }

  beforeAll(async () => {
    h = await startApp('sqlite')
    ann = await h.user('ann', PW)
    await h.user('bob', PW)
    await h.services.archive.createProject(ann, P)
    const abs = join(h.services.archive.projectDir({ name: P } as never), 'P1', 'S1', 'anat', 'note.txt')
    mkdirSync(join(abs, '..'), { recursive: true })
    writeFileSync(abs, 'x')
    await h.services.archive.addFiles(ann, P, [abs])
    annS = await h.login('ann', PW)
  }, 60_000)
  afterAll(async () => h?.close())

  const form = (s: { cookie: string; csrf: string }, fields: Record<string, string>): RequestInit => ({
    method: 'POST',
    body: new URLSearchParams({ _csrf: s.csrf, ...fields }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie },
    redirect: 'manual',
  })

  test('the mail choice needs an address; without a mail server nothing is sent and the bell still counts', async () => {
    const bad = await h.request('/notifications/mail', form(annS, { mail: 'on', email: '' }))
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('give a mail address')
    const notAddress = await h.request('/notifications/mail', form(annS, { mail: 'on', email: 'ann at lab' }))
    expect(notAddress.status).toBe(400)
    const ok = await h.request('/notifications/mail', form(annS, { mail: 'on', email: 'ann@example.org' }))
    expect(ok.status).toBe(303)
    const page = await (await h.request('/notifications', { headers: { cookie: annS.cookie } })).text()
    expect(page).toContain('value="ann@example.org"')
    expect(page).toMatch(/id="mail-on" checked/)
    expect(page).toContain('This site has no mail server yet')
  })

  test('a failed batch: a notification for its launcher (bell, menu, API) and a mail in the SMTP sink', async () => {
    writeFileSync(join(h.home.home, 'conf', 'smail.conf'), `{ host: "127.0.0.1", port: ${sink.port}, tls: "none", from: "NORA <nora@lab.example.org>" }`)
    const before = sink.messages().length
    const { batchId } = await h.services.jobs.launch(ann, P, { name: 'fails <b>', studies: ['P1#S1'], jobs: [{ type: 'bash', script: 'echo oops >&2; exit 3' }] })
    const summary = await h.services.jobs.run(ann, batchId)
    expect(summary.errors).toBe(1)
    // The bell's count and the API.
    expect(await (await h.request('/notifications/count', { headers: { cookie: annS.cookie } })).text()).toBe('1')
    const api = (await (await h.request('/api/notifications', { headers: { cookie: annS.cookie } })).json()) as { unread: number; notifications: { id: number; kind: string; message: string; read: boolean }[] }
    expect(api.unread).toBe(1)
    expect(api.notifications[0]).toMatchObject({ kind: 'batch-error', read: false })
    expect(api.notifications[0]!.message).toBe(`batch ${batchId} "fails <b>" in ${P} failed: 1 run(s) with errors, 0 done`)
    // The menu escapes the batch's name.
    const menu = await (await h.request('/notifications/menu', { headers: { cookie: annS.cookie } })).text()
    expect(menu).toContain('&quot;fails &lt;b&gt;&quot;')
    expect(menu).not.toContain('<b>')
    // The mail, taken by a real SMTP server.
    await h.services.notifications.idle()
    const mail = await until(() => sink.messages().slice(before).find((m) => m.includes(`batch ${batchId}`)))
    expect(mail).toMatch(/^To: ann@example\.org$/m)
    expect(mail).toMatch(/^From: NORA <nora@lab\.example\.org>$/m)
    expect(subjectOf(mail)).toBe(`NORA: batch ${batchId} "fails <b>" in ${P} failed: 1 run(s) with errors, 0 done`)
    expect(mail).toContain(`batch ${batchId} "fails <b>" in ${P} failed: 1 run(s) with errors, 0 done`)
    // bob sees none of ann's, and cannot mark hers read.
    const bobS = await h.login('bob', PW)
    expect(await (await h.request('/notifications/count', { headers: { cookie: bobS.cookie } })).text()).toBe('')
    const id = api.notifications[0]!.id
    const foreign = await h.request(`/api/notifications/${id}/read`, { method: 'POST', headers: { cookie: bobS.cookie, 'x-csrf-token': bobS.csrf, accept: 'application/json' } })
    expect(foreign.status).toBe(404)
    // Without the CSRF token: refused.
    expect((await h.request(`/api/notifications/${id}/read`, { method: 'POST', headers: { cookie: annS.cookie } })).status).toBe(403)
    const read = await h.request(`/notifications/${id}/read`, { method: 'POST', headers: { cookie: annS.cookie, 'x-csrf-token': annS.csrf, 'hx-request': 'true' } })
    expect(read.status).toBe(200)
    expect(read.headers.get('hx-trigger')).toBe('notifications-changed')
    expect(await (await h.request('/notifications/count', { headers: { cookie: annS.cookie } })).text()).toBe('')
  }, 120_000)

  test('a batch that succeeds tells its launcher too; a user who did not ask gets no mail; a mail server that is down does not fail the batch', async () => {
    const ok = await h.services.jobs.launch(ann, P, { studies: ['P1#S1'], jobs: [{ type: 'bash', script: 'true' }] })
    expect((await h.services.jobs.run(ann, ok.batchId)).errors).toBe(0)
    const [last] = await h.services.notifications.list(ann, { limit: 1 })
    expect(last).toMatchObject({ kind: 'batch-done', message: `batch ${ok.batchId} in ${P} finished: 1 run(s) done` })
    // Mail server down: the batch still ends as it should and the notification is in the page.
    writeFileSync(join(h.home.home, 'conf', 'smail.conf'), `{ host: "127.0.0.1", port: 1, tls: "none", timeoutMs: 2000 }`)
    const down = await h.services.jobs.launch(ann, P, { studies: ['P1#S1'], jobs: [{ type: 'bash', script: 'exit 1' }] })
    expect((await h.services.jobs.run(ann, down.batchId)).errors).toBe(1)
    await h.services.notifications.idle()
    const [failed] = await h.services.notifications.list(ann, { limit: 1 })
    expect(failed).toMatchObject({ kind: 'batch-error' })
  }, 120_000)
})

describe('notifications: an import tells whoever started it; a study routed to quarantine tells the admins (dcmtk storescu to the receiver)', () => {
  let h: Harness
  let ann: User
  let root: User
  let carl: User
  let node: { stop(): void } | undefined
  let series: string

  beforeAll(async () => {
    h = await startApp('sqlite')
    ann = await h.user('ann', PW)
    root = await h.user('root', PW, { siteAdmin: true })
    carl = await h.user('carl', PW)
    await h.services.archive.createProject(ann, 'imp')
    series = join(h.home.home, 'series')
    const made = Bun.spawnSync(['/usr/bin/python3', join(import.meta.dir, '../../fixtures/generate/make-study.py'), series, '1', '3', '16', 'QUAR1'], { stderr: 'pipe' })
    expect(made.exitCode, made.stderr.toString()).toBe(0)
  }, 60_000)
  afterAll(async () => {
    node?.stop()
    await h?.close()
  })

  test('an import into a project: its user gets "import N ... finished"', async () => {
    const { id, ended } = await h.services.importer.submit(ann, 'imp', series, { label: 'test' })
    expect((await ended).state).toBe('done')
    const [n] = await h.services.notifications.list(ann, { limit: 1 })
    expect(n).toMatchObject({ kind: 'import-done', message: `import ${id} into imp finished: 1 series in 1 study`, link: `/api/imports/${id}` })
  }, 120_000)

  test('a study no route claims goes to quarantine: the site admins (and the quarantine project admins) are told, nobody else', async () => {
    const { startDicomNode } = await import('../../../src/app')
    const quarantine = await h.services.archive.createProject(root, 'quarantine', 'unroutable DICOM')
    await h.services.users.grant('carl', 'quarantine', 'admin')
    node = await startDicomNode(h.services, () => {})
    // Spawned, not spawnSync: the receiver answers in this very process.
    const proc = Bun.spawn(['storescu', '-aec', 'NORA', '-aet', 'SCANNER', '127.0.0.1', String(h.home.dicomPort), '+sd', series], { stdout: 'pipe', stderr: 'pipe' })
    const code = await proc.exited
    expect(code, await new Response(proc.stderr).text()).toBe(0)
    const end = Date.now() + 90_000
    let told
    while (!(told = (await h.services.notifications.list(root, { limit: 5 })).find((n) => n.kind === 'quarantine')) && Date.now() < end) await Bun.sleep(200)
    expect(told).toBeDefined()
    expect(told!.message).toMatch(/^study 1\.2\.826\.0\.1\.3680043\.9\.7433\.1\.\d+ from SCANNER was routed to quarantine project quarantine \(no rule matched and no default project\); import \d+ done, 1 series$/)
    expect(told!.projectId).toBe(quarantine.id)
    expect((await h.services.notifications.list(carl, { limit: 5 })).filter((n) => n.kind === 'quarantine')).toHaveLength(1)
    expect((await h.services.notifications.list(ann, { limit: 5 })).filter((n) => n.kind === 'quarantine')).toHaveLength(0)
  }, 150_000)
})

describe.skipIf(!up.handle)(titled('nora test email uses the mail settings saved in the admin page (aiosmtpd)', up.skip), () => {
  test('mail.host and mail.port from the database override conf/smail.conf; nothing saved: the file', async () => {
    const sink = up.handle as SmtpSink
    const { cliHome } = await import('../cli/cli-harness')
    const cli = await cliHome('sqlite')
    try {
      // The file names a server that is not there; the admin page's settings name the sink.
      writeFileSync(join(cli.home, 'conf', 'smail.conf'), `{ host: "127.0.0.1", port: 1, tls: "none", timeoutMs: 2000 }`)
      const before = await cli.nora(['test', 'email'])
      expect(before.stdout).toContain('the mail server 127.0.0.1:1 (none) does not answer')
      const { openServices } = await import('../../../src/app')
      const { loadConfig } = await import('../../../src/config/load-config')
      const s = await openServices(loadConfig(cli.home, {}))
      await s.siteSettings.set('mail.port', String(sink.port), 'root')
      await s.close()
      const r = await cli.nora(['test', 'email', 'dave@example.org'])
      expect(r.stdout).toContain(`email  OK   127.0.0.1:${sink.port} (none) answers; mail to dave@example.org taken: 250`)
      expect(sink.messages().at(-1)!).toMatch(/^To: dave@example\.org$/m)
    } finally {
      await cli.close()
    }
  }, 180_000)
})
