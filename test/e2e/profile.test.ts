import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { DICOMDIRTESTS, python, zipOf } from '../helpers/dicom-fixtures'
import { collectErrors, logIn } from './browser'
import { chooseProject, shooter, startSite, type Site } from './fixture'

const shot = shooter('profile')

/** Patient IDs of the fixture's readable DICOM files, by pydicom (not by nora). */
const patientIds = (): string[] =>
  JSON.parse(
    python(
      `import sys, json, pathlib, pydicom
ids = set()
for p in pathlib.Path(sys.argv[1]).rglob('*'):
    if p.is_file() and p.name != 'DICOMDIR' and 'TINY_ALPHA' not in str(p):
        try:
            d = pydicom.dcmread(p, stop_before_pixels=True)
        except pydicom.errors.InvalidDicomError:
            continue
        if 'PatientID' in d: ids.add(str(d.PatientID))
print(json.dumps(sorted(ids)))`,
      [DICOMDIRTESTS],
    ),
  )

describe('profile: a researcher creates an API token and imports with the seed curl line', () => {
  let site: Site
  beforeAll(async () => {
    site = await startSite({
      projects: ['WHATEVER'],
      setup: async ({ nora }) => {
        for (const args of [['--admin', 'adduser', 'donaldduck', '--password', 'quack-quack-1'], ['--admin', 'grant', 'donaldduck', 'WHATEVER', 'write']]) {
          const r = await nora(args)
          if (r.code !== 0) throw new Error(`nora ${args.join(' ')}: ${r.stdout}${r.stderr}`)
        }
      },
    })
  }, 120_000)
  afterAll(async () => site?.close())

  test('token from the profile (shown once, copied), curl import, the studies appear; revoked, the token stops working', async () => {
    const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } })
    const errors = collectErrors(page)
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.url.replace(/\/$/, '') })
    await logIn(page, site.url, 'donaldduck', 'quack-quack-1')
    await page.click('#user-menu summary')
    await Promise.all([page.waitForURL(/\/profile$/), page.click('#nav-profile')])
    await page.fill('#token-label', 'curl import')
    await page.selectOption('#token-expires', '30d')
    await Promise.all([page.waitForSelector('#new-token-value'), page.click('#create-token')])
    const token = await page.inputValue('#new-token-value')
    expect(token).toMatch(/^nora_[A-Za-z0-9_-]{20,}$/)
    await page.click('#copy-token')
    await page.waitForFunction(() => document.getElementById('copy-state')?.textContent === 'copied')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token)
    expect(await page.textContent('#tokens')).toContain('curl import')
    await shot(page, 'profile-1-token')

    // The seed's exact line: curl "http://HOST:PORT/index.php?project=P" -F 'call={"cmd":"import","user":"U","token":"T"}' -F 'thefile=@data.zip'
    const zip = zipOf(DICOMDIRTESTS)
    const curl = Bun.spawnSync(['curl', '-sS', `${site.url}index.php?project=WHATEVER`, '-F', `call={"cmd":"import","user":"donaldduck","token":"${token}"}`, '-F', `thefile=@${zip}`], { stdout: 'pipe', stderr: 'pipe' })
    expect(curl.exitCode).toBe(0)
    const answer = JSON.parse(curl.stdout.toString()) as { id: number; state: string }
    expect(answer.state).toBe('queued')
    let state = ''
    for (let i = 0; i < 600 && state !== 'done' && state !== 'failed'; i++) {
      state = ((await (await fetch(`${site.url}api/imports/${answer.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { state: string }).state
      if (state !== 'done') await Bun.sleep(100)
    }
    expect(state).toBe('done')

    await page.goto(site.url)
    await chooseProject(page, 'WHATEVER')
    const psids = await page.$$eval('#table-body tr.study', (rows) => rows.map((r) => (r as HTMLElement).dataset.psid ?? ''))
    const ids = patientIds()
    expect(ids.length).toBeGreaterThan(1)
    for (const id of ids) expect(psids.some((p) => p.startsWith(`${id}#`))).toBe(true)
    await shot(page, 'profile-2-imported')

    // The list shows the use; revoking ends the token.
    await page.goto(`${site.url}profile`)
    const row = page.locator('#tokens tbody tr', { hasText: 'curl import' })
    expect(await row.locator('td').nth(2).textContent()).not.toBe('never')
    expect(await page.content()).not.toContain(token)
    await Promise.all([page.waitForURL(/done=revoked/), row.locator('.revoke-token').click()])
    expect(await page.textContent('#profile-notice')).toContain('revoked')
    expect((await fetch(`${site.url}api/projects`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401)

    // The header's theme button switches at once and is saved: a new page renders light.
    await Promise.all([page.waitForResponse((r) => r.url().endsWith('/profile/theme') && r.ok()), page.click('#theme-toggle')])
    expect(await page.getAttribute('html', 'data-theme')).toBe('light')
    await page.goto(`${site.url}?project=WHATEVER`)
    await page.waitForSelector('#table-body tr.study')
    expect(await page.getAttribute('html', 'data-theme')).toBe('light')
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(243, 244, 246)')
    await shot(page, 'profile-3-light')
    expect(errors, errors.join('\n')).toEqual([])
  }, 180_000)
})
