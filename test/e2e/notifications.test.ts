import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { serviceOrSkip, titled } from '../services/slurm'
import { startSmtpSink, type SmtpSink } from '../services/smtp-sink'
import { projectWithFiles, shooter, startAppSite, type AppSite } from './fixture'

const NIB = '/usr/lib/python3/dist-packages/nibabel/tests/data'
const PW = 'notify me please 1'
const shot = shooter('notifications')
const up = await serviceOrSkip('aiosmtpd', startSmtpSink)

describe.skipIf(!up.handle)(titled('notifications in the page and by mail (Chromium, local runner, aiosmtpd)', up.skip), () => {
  const sink = up.handle as SmtpSink
  let site: AppSite
  beforeAll(async () => {
    site = await startAppSite({ password: PW, setup: projectWithFiles('NOTE', [join(NIB, 'anatomical.nii')]) })
    writeFileSync(join(site.home.home, 'conf', 'smail.conf'), `{ host: "127.0.0.1", port: ${sink.port}, tls: "none", from: "NORA <nora@lab.example.org>" }`)
  }, 120_000)
  afterAll(async () => {
    await site?.close()
    await sink?.stop()
  })

  test('the user asks for mail; a failed batch puts a notification behind the bell and a mail in the SMTP sink; mark as read', async () => {
    const { page, errors } = await site.page({ width: 1280, height: 800 })
    // The mail choice, on the notifications page (user menu).
    await page.click('#user-menu summary')
    await Promise.all([page.waitForURL(/\/notifications$/), page.click('#nav-notifications')])
    await page.fill('#mail-address', 'ann@example.org')
    await page.check('#mail-on')
    await Promise.all([page.waitForURL(/done=mail/), page.click('#save-mail')])
    expect(await page.textContent('#notifications-notice')).toContain('saved')
    await shot(page, 'notifications-0-page')
    expect(await page.textContent('#notif-count')).toBe('')

    // A batch that fails, run by the server's local runner as a launch from the Batchtool would.
    const before = sink.messages().length
    const { batchId } = await site.services.jobs.launch(site.user, 'NOTE', { name: 'broken step', studies: ['P1#S1'], jobs: [{ type: 'bash', script: 'echo no such tool >&2; exit 127' }] })
    expect((await site.services.jobs.run(site.user, batchId)).errors).toBe(1)

    // The bell's count comes by itself (htmx polls it).
    await page.goto(site.url)
    await page.waitForFunction(() => document.getElementById('notif-count')?.textContent === '1', undefined, { timeout: 60_000 })
    await page.click('#notif-menu summary')
    const item = page.locator('#notif-list .notif-item.unread')
    await item.waitFor()
    expect(await item.textContent()).toContain(`batch ${batchId} "broken step" in NOTE failed: 1 run(s) with errors, 0 done`)
    await shot(page, 'notifications-1-bell')

    // The mail, in the real SMTP server's mailbox.
    await site.services.notifications.idle()
    const end = Date.now() + 60_000
    let mail: string | undefined
    while (!(mail = sink.messages().slice(before).find((m) => m.includes(`batch ${batchId}`))) && Date.now() < end) await Bun.sleep(200)
    expect(mail).toBeDefined()
    expect(mail!).toMatch(/^To: ann@example\.org$/m)
    expect(mail!).toContain(`batch ${batchId} "broken step" in NOTE failed`)

    // Mark as read: the menu and the count follow.
    await page.click('#notif-list .mark-read')
    await page.waitForSelector('#notif-list .notif-item:not(.unread)')
    await page.waitForFunction(() => document.getElementById('notif-count')?.textContent === '', undefined, { timeout: 30_000 })
    await shot(page, 'notifications-2-read')
    expect(errors).toEqual([])
  }, 180_000)
})
