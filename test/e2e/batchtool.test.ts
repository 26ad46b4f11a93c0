import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chooseProject, shooter, startAppSite, type AppSite } from './fixture'

const PW = 'long enough password 1'
const P = 'btP'
const shot = shooter('jobs')

/** The Batchtool and Gridstats pages in Chromium against a server in this process (real HTTP, local executor). */
describe('Batchtool and Gridstats in the browser', () => {
  let site: AppSite
  const dir = () => site.services.archive.projectDir({ name: P } as never)

  beforeAll(async () => {
    site = await startAppSite({
      password: PW,
      setup: async (s, ann) => {
        await s.archive.createProject(ann, P)
        for (const [psid, rel, content] of [
          ['P1#S1', 't1_a/s001.nii', 'x'.repeat(11)],
          ['P2#S1', 't1_a/s001.nii', 'y'.repeat(22)],
          ['P3#S1', 'dwi/s001.nii', 'no t1'],
        ] as const) {
          const abs = join(s.archive.projectDir({ name: P } as never), ...psid.split('#'), rel)
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

  test('compose a bash job, preview, save, launch on 2 studies; Gridstats shows them done; an erroring job stays with its log', async () => {
    const { page, errors } = await site.page({ width: 1400, height: 1000 })
    await chooseProject(page, P)
    await page.click('#open-batchtool')
    await page.waitForSelector('.bt-studies input[type=checkbox]')
    expect(await page.locator('.bt-studies input[type=checkbox]').count()).toBe(3)

    // The menu adds a generic BASH job; mentioning $f1 and $o1 makes their two argument rows appear.
    await page.click('#bt-add-bash')
    await page.fill('.bt-script', 'echo "counting $f1"\nwc -c < "$f1" | tr -d " " > "$o1"')
    await page.waitForSelector('tr.bt-arg[data-arg="o1"]')
    expect(await page.locator('tr.bt-arg').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.arg))).toEqual(['f1', 'o1'])
    await page.fill('tr.bt-arg[data-arg="f1"] input.bt-value', 't1*/s0__.nii')
    await page.fill('tr.bt-arg[data-arg="o1"] input.bt-value', 'out/n.txt')
    await page.fill('tr.bt-arg[data-arg="o1"] .bt-tag input', 'counted')
    await shot(page, 'batchtool-1-composed')

    // Preview for the whole selection: P3 has no T1, the others resolve to absolute paths.
    await page.click('#bt-preview')
    await page.waitForSelector('.bt-pv-study')
    expect(await page.locator('.bt-pv-study.ok').count()).toBe(2)
    expect(await page.textContent('.bt-pv-study.bad')).toContain('no file matches t1*/s0__.nii')
    expect(await page.textContent('.bt-pv-study[data-psid="P1#S1"]')).toContain(join(dir(), 'P1', 'S1', 't1_a', 's001.nii'))
    await shot(page, 'batchtool-2-preview')

    // Cluster resources are optional; what is filled in is saved with the job.
    await page.click('.bt-resources summary')
    await page.fill('.bt-resources input[x-model="job.timeMinutes"]', '30')
    // Save it in the batch list.
    await page.fill('#bt-name', 'count')
    await page.click('#bt-save')
    await page.waitForSelector('.bt-list li button:text("count")')
    const saved = await (await page.request.get(`${site.url}api/projects/${P}/batches/count`)).json()
    expect(saved.batch.jobs).toEqual([{ type: 'bash', name: 'bash job', script: 'echo "counting $f1"\nwc -c < "$f1" | tr -d " " > "$o1"', args: { f1: 't1*/s0__.nii', o1: 'out/n.txt TAG(counted)' }, resources: { timeMinutes: 30 } }])

    // Launch on a selection of 2 studies.
    await page.uncheck('.bt-studies input[data-psid="P3#S1"]')
    await page.click('#bt-launch')
    await page.waitForSelector('#bt-gridstats-batch:visible')
    expect(await page.textContent('.bt-status')).toMatch(/batch \d+ launched on 2 studies/)
    await page.click('#bt-gridstats-batch')
    await page.waitForSelector('tr.gs-job')
    await page.waitForFunction(() => Array.from(document.querySelectorAll('tr.gs-job')).filter((r) => (r as HTMLElement).dataset.state === 'done').length === 2, null, { timeout: 15_000 })
    expect(await page.locator('tr.gs-job').count()).toBe(2)
    await shot(page, 'gridstats-1-done')

    // A job that fails: its row stays in Gridstats (finished ones leave), and its log opens.
    await page.goto(`${site.url}projects/${P}/batchtool`)
    await page.waitForSelector('.bt-list li button:text("count")')
    await page.click('.bt-list li button:text("count")')
    await page.waitForSelector('tr.bt-arg[data-arg="o1"]')
    await page.fill('.bt-script', 'echo "failing on $f1"\nexit 3')
    await page.waitForFunction(() => document.querySelectorAll('tr.bt-arg').length === 1)
    await page.waitForSelector('.bt-studies input[data-psid="P1#S1"]')
    await page.click('.bt-selection button.link:text("none")')
    await page.check('.bt-studies input[data-psid="P1#S1"]')
    await page.click('#bt-launch')
    await page.waitForSelector('#bt-gridstats-batch:visible')
    await page.goto(`${site.url}gridstats`)
    await page.waitForSelector('tr.gs-job[data-state="error"]', { timeout: 15_000 })
    expect(await page.locator('tr.gs-job').count()).toBe(1) // the done ones left
    expect(await page.textContent('tr.gs-job .gs-reason')).toBe('exit code 3')
    await shot(page, 'gridstats-2-error')
    const [log] = await Promise.all([page.context().waitForEvent('page'), page.click('tr.gs-job .gs-log')])
    await log.waitForLoadState()
    expect(await log.textContent('body')).toContain(`failing on ${join(dir(), 'P1', 'S1', 't1_a', 's001.nii')}`)
    await log.close()

    // "show finished" brings the done ones back; the 3 s poll keeps the table.
    await page.check('#gs-finished')
    await page.waitForFunction(() => document.querySelectorAll('tr.gs-job').length === 3)
    await page.waitForTimeout(3500)
    expect(await page.locator('tr.gs-job').count()).toBe(3)
    await page.click('button.sort[data-sort="psid"]')
    await page.waitForSelector('button.sort.active[data-sort="psid"]')
    await shot(page, 'gridstats-3-finished')
    // Rerun the errors of the failed batch: a new batch over its failed runs.
    const failed = (await page.textContent('tr.gs-job[data-state="error"]'))!.match(/batch (\d+)/)![1]!
    await page.fill('#gs-rerun-batch', failed)
    await page.click('#gs-rerun')
    await page.waitForFunction(() => (document.querySelector('.gs-message')?.textContent ?? '') !== '')
    expect(await page.textContent('.gs-message')).toMatch(new RegExp(`^batch \\d+ reruns the errors of batch ${failed}$`))
    // The rerun fails the same way: a second error row (finished ones shown, so 4 rows).
    await page.waitForFunction(() => document.querySelectorAll('tr.gs-job[data-state="error"]').length === 2, null, { timeout: 15_000 })
    await shot(page, 'gridstats-4-rerun')
    expect(errors).toEqual([])
  }, 90_000)
})
