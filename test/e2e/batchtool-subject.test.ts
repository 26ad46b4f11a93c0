import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { shooter, startAppSite, type AppSite } from './fixture'

const PW = 'long enough password 1'
const P = 'btSubj'
const shot = shooter('jobs')

/** The Batchtool at subject level in Chromium: level selector, study-reference inputs, preview per subject, launch. */
describe('Batchtool at subject level in the browser', () => {
  let site: AppSite
  const dir = () => site.services.archive.projectDir({ name: P } as never)

  beforeAll(async () => {
    site = await startAppSite({
      password: PW,
      setup: async (s, ann) => {
        const project = await s.archive.createProject(ann, P)
        for (const [psid, modality, date, rel, content] of [
          ['P1#CT1', 'CT', '20200101', 'ct/s001.nii', 'ct-1'],
          ['P1#MR1', 'MR', '20200201', 't1/s001.nii', 'mr-1'],
          ['P2#MR1', 'MR', '20200201', 't1/s001.nii', 'mr-2'],
        ] as const) {
          const [pid, sid] = psid.split('#') as [string, string]
          const subject = await s.repos.subjects.ensureSubject(project.id, pid)
          await s.repos.subjects.ensureStudy(project.id, subject.id, sid, { modality, studyDate: date, description: `${modality} study` })
          const abs = join(s.archive.projectDir(project), pid, sid, rel)
          mkdirSync(join(abs, '..'), { recursive: true })
          writeFileSync(abs, content)
          await s.archive.addFiles(ann, P, [abs])
        }
      },
    })
  }, 60_000)

  afterAll(async () => {
    await site?.close()
  })

  test('level subject: study-reference inputs appear, the preview lists subjects with the studies chosen, the launch runs per subject', async () => {
    const { page, errors } = await site.page({ width: 1400, height: 1000 })
    await page.goto(`${site.url}projects/${P}/batchtool`)
    await page.waitForSelector('.bt-studies input[type=checkbox]')
    await page.click('#bt-add-bash')
    await page.fill('.bt-script', 'cat "$f1" "$f2" > "$o1"')
    await page.waitForSelector('tr.bt-arg[data-arg="o1"]')
    expect(await page.locator('input.bt-study-ref:visible').count()).toBe(0)
    await page.selectOption('#bt-level', 'subject')
    // Alpine updates the rows after the change event: poll, don't read at once (a direct read raced on a busy machine).
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('input.bt-study-ref')].filter((e) => e.offsetParent !== null).length === 3, undefined, { timeout: 10_000 })
    await page.waitForFunction(() => document.querySelector('#bt-run-count')?.textContent === '2', undefined, { timeout: 10_000 })
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
    await shot(page, 'batchtool-subject-preview')

    await page.click('#bt-launch')
    await page.waitForSelector('#bt-gridstats-batch:visible')
    expect(await page.textContent('.bt-status')).toMatch(/batch \d+ launched on 2 subjects/)
    const batchId = Number((await page.textContent('.bt-status'))!.match(/batch (\d+)/)![1])
    for (let i = 0; i < 100 && (await site.services.repos.jobs.runs(batchId)).some((r) => r.state === 'queued' || r.state === 'running'); i++) await Bun.sleep(100)
    expect((await site.services.repos.jobs.runs(batchId)).map((r) => `${r.psid} ${r.state}`)).toEqual(['P1 done', 'P2 error'])
    expect(readFileSync(join(dir(), 'P1', 'MR1', 'out', 'fused.txt'), 'utf8')).toBe('ct-1mr-1')
    expect(errors).toEqual([])
  }, 60_000)
})
