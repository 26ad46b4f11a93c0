import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { httpDeps, openServices, type Services } from '../../src/app'
import { loadConfig } from '../../src/config/load-config'
import type { User } from '../../src/core/types'
import { createApp } from '../../src/http/create-app'
import { makeHome, type TestHome } from '../helpers/home'
import { REPO } from '../helpers/nora-binary'
import { collectErrors, launchChromium, logIn } from './browser'

const PW = 'long enough password 1'
const P = 'btSubj'
const SHOTS = join(REPO, 'test-output', 'jobs')

/** The Batchtool at subject level in Chromium: level selector, study-reference inputs, preview per subject, launch. */
describe('Batchtool at subject level in the browser', () => {
  let home: TestHome
  let s: Services
  let ann: User
  let browser: Browser
  let stop = async () => {}
  const dir = () => s.archive.projectDir({ name: P } as never)

  beforeAll(async () => {
    home = makeHome()
    s = await openServices(loadConfig(home.home))
    ann = await s.repos.users.create({ username: 'ann', passwordHash: await Bun.password.hash(PW, { algorithm: 'argon2id', memoryCost: 1024, timeCost: 1 }) })
    const project = await s.archive.createProject(ann, P)
    for (const [psid, modality, date, rel, content] of [
      ['P1#CT1', 'CT', '20200101', 'ct/s001.nii', 'ct-1'],
      ['P1#MR1', 'MR', '20200201', 't1/s001.nii', 'mr-1'],
      ['P2#MR1', 'MR', '20200201', 't1/s001.nii', 'mr-2'],
    ] as const) {
      const [pid, sid] = psid.split('#') as [string, string]
      const subject = await s.repos.subjects.ensureSubject(project.id, pid)
      await s.repos.subjects.ensureStudy(project.id, subject.id, sid, { modality, studyDate: date, description: `${modality} study` })
      const abs = join(dir(), pid, sid, rel)
      mkdirSync(join(abs, '..'), { recursive: true })
      writeFileSync(abs, content)
      await s.archive.addFiles(ann, P, [abs])
    }
    const app = createApp(httpDeps(s))
    app.listen({ hostname: '127.0.0.1', port: home.httpPort })
    stop = async () => void (await app.stop())
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await stop()
    await s?.close()
    home?.cleanup()
  })

  test('level subject: study-reference inputs appear, the preview lists subjects with the studies chosen, the launch runs per subject', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    const errors = collectErrors(page)
    await logIn(page, home.url, 'ann', PW)
    await page.goto(`${home.url}projects/${P}/batchtool`)
    await page.waitForSelector('.bt-studies input[type=checkbox]')
    await page.click('#bt-add-bash')
    await page.fill('.bt-script', 'cat "$f1" "$f2" > "$o1"')
    await page.waitForSelector('tr.bt-arg[data-arg="o1"]')
    expect(await page.locator('input.bt-study-ref:visible').count()).toBe(0)
    await page.selectOption('#bt-level', 'subject')
    expect(await page.locator('input.bt-study-ref:visible').count()).toBe(3)
    expect(await page.textContent('#bt-run-count')).toBe('2')
    await page.fill('tr.bt-arg[data-arg="f1"] input.bt-value', 'ct/*.nii')
    await page.fill('tr.bt-arg[data-arg="f1"] input.bt-study-ref', 'MOD:CT')
    await page.fill('tr.bt-arg[data-arg="f2"] input.bt-value', 't1/*.nii')
    await page.fill('tr.bt-arg[data-arg="f2"] input.bt-study-ref', 'MOD:MR')
    await page.fill('tr.bt-arg[data-arg="o1"] input.bt-value', 'out/fused.txt')
    await page.fill('tr.bt-arg[data-arg="o1"] input.bt-study-ref', 'MOD:MR')

    await page.click('#bt-preview')
    await page.waitForSelector('.bt-pv-study')
    expect(await page.locator('.bt-pv-study').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.psid))).toEqual(['P1', 'P2'])
    const p1 = await page.textContent('.bt-pv-study[data-psid="P1"]')
    expect(p1).toContain(`${join(dir(), 'P1', 'CT1', 'ct', 's001.nii')} [MOD:CT → CT1]`)
    expect(p1).toContain(`${join(dir(), 'P1', 'MR1', 'out', 'fused.txt')} [MOD:MR → MR1]`)
    expect(await page.textContent('.bt-pv-study.bad')).toContain('no study of P2 matches MOD:CT')
    expect(await page.textContent('.bt-preview h3')).toContain('2 of 2 subjects')
    mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: join(SHOTS, 'batchtool-subject-preview.png'), fullPage: true })

    await page.click('#bt-launch')
    await page.waitForSelector('#bt-gridstats-batch:visible')
    expect(await page.textContent('.bt-status')).toMatch(/batch \d+ launched on 2 subjects/)
    const batchId = Number((await page.textContent('.bt-status'))!.match(/batch (\d+)/)![1])
    for (let i = 0; i < 100 && (await s.repos.jobs.runs(batchId)).some((r) => r.state === 'queued' || r.state === 'running'); i++) await Bun.sleep(100)
    expect((await s.repos.jobs.runs(batchId)).map((r) => `${r.psid} ${r.state}`)).toEqual(['P1 done', 'P2 error'])
    expect(readFileSync(join(dir(), 'P1', 'MR1', 'out', 'fused.txt'), 'utf8')).toBe('ct-1mr-1')
    expect(errors).toEqual([])
  }, 60_000)
})
