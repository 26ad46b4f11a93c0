import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { collectErrors } from './browser'
import { shooter, startSite, type Site } from './fixture'

const NIFTI = '/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii'
const P = 'WHATEVER'
const shot = shooter('url-call', { fullPage: false })

// The seed: https://HOST/godzilla/index.php?project=WHATEVER&call={"pid":..,"sid":..,"selmode":..,"preset":..,"user":..,"token":..}
describe('URL call: an external application opens a case with a preset', () => {
  let site: Site
  let token: string

  beforeAll(async () => {
    site = await startSite({
      projects: [P],
      setup: async ({ home, nora }) => {
        const must = async (args: string[]) => {
          const r = await nora(args, 120_000)
          if (r.code !== 0) throw new Error(`nora ${args.join(' ')}: ${r.stdout}${r.stderr}`)
          return r.stdout
        }
        // Two studies of one subject, the same T1 in each; two more subjects (NII10 also matches the filter "NII1").
        for (const [subject, study] of [['NII1', 'S1'], ['NII1', 'S2'], ['NII10', 'S1'], ['NII2', 'S1']]) {
          const to = join(home.home, 'data', 'projects', P, subject!, study!, 't1', 'anatomical.nii')
          mkdirSync(join(to, '..'), { recursive: true })
          copyFileSync(NIFTI, to)
          await must(['-p', P, '--add', to])
        }
        await must(['--admin', 'adduser', 'donaldduck', '--password', 'quack-quack-1'])
        await must(['--admin', 'grant', 'donaldduck', P, 'write'])
        token = (await must(['--admin', 'token', 'donaldduck'])).trim()
      },
    })
    // The active preset loads one viewport; the call names another that fills two (the second one hot).
    const res = await fetch(`${site.url}api/projects/${P}/autoloaders`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        presets: [
          { name: 'default', active: true, items: [{ pattern: 't1/*.nii', viewport: 1, as: 'background', colormap: 'gray' }] },
          {
            name: 'two views',
            active: false,
            items: [
              { pattern: 't1/*.nii', viewport: 1, as: 'background', colormap: 'gray' },
              { pattern: 't1/*.nii', viewport: 2, as: 'background', colormap: 'hot' },
            ],
          },
        ],
      }),
    })
    expect(res.status).toBe(200)
  }, 180_000)
  afterAll(async () => site?.close(), 60_000)

  test('with user and token (no session): the desktop opens on the study with the named preset, the token gone from the address bar', async () => {
    const page = await site.browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors = collectErrors(page)
    const call = { pid: 'NII1', sid: 'S2', selmode: 'study', preset: 'two views', user: 'donaldduck', token }
    await page.goto(`${site.url}index.php?project=${P}&call=${encodeURIComponent(JSON.stringify(call))}`)
    await page.waitForSelector('#table-body tr.study.selected')
    expect(await page.getAttribute('#table-body tr.study.selected', 'data-psid')).toBe('NII1#S2')
    await page.waitForFunction(() => (window as any).noraViewer?.state().viewports[1].volumes.length === 1, null, { timeout: 30_000 })
    const s = await page.evaluate(() => (window as any).noraViewer.state())
    expect(s.viewports[0].volumes.map((v: { name: string; colormap: string }) => [v.name, v.colormap])).toEqual([['anatomical.nii', 'gray']])
    expect(s.viewports[1].volumes.map((v: { name: string; colormap: string }) => [v.name, v.colormap])).toEqual([['anatomical.nii', 'hot']])
    // The file tree shows the study's files.
    await page.waitForSelector('#file-tree .file-tree-body[data-psid="NII1#S2"]')
    expect(await page.textContent('#autoload-state')).toContain('two views')
    const url = new URL(page.url())
    expect(url.pathname + url.search + url.hash).toBe(`/?project=${P}`)
    expect(page.url()).not.toContain(token)
    expect(await page.textContent('.topnav .who')).toContain('donaldduck')
    await shot(page, 'url-call-1-case')
    // The session cookie was set: the desktop opens without the token now.
    await page.goto(`${site.url}?project=${P}`)
    await page.waitForSelector('#table-body tr.study')
    expect(new URL(page.url()).pathname).toBe('/')
    expect(errors, errors.join('\n')).toEqual([])
  }, 120_000)

  test('selmode patient: the table narrowed to the patient, all of its studies checked, its first study opened with the preset', async () => {
    const page = await site.browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors = collectErrors(page)
    const call = { pid: 'NII1', selmode: 'patient', preset: 'two views', user: 'donaldduck', token }
    await page.goto(`${site.url}index.php?project=${P}&call=${encodeURIComponent(JSON.stringify(call))}`)
    await page.waitForSelector('#table-body tr.study.selected')
    expect(await page.getAttribute('#table-body tr.study.selected', 'data-psid')).toBe('NII1#S1')
    expect(await page.inputValue('#bar-patients_id')).toBe('NII1')
    const rows = () =>
      page.$$eval('#table-body tr.row', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.psid, (tr.querySelector('.row-check') as HTMLInputElement).checked]))
    expect(await rows()).toEqual([
      ['NII1#S1', true],
      ['NII1#S2', true],
      ['NII10#S1', false], // the filter's implicit wildcard shows it; it is not the patient's
    ])
    expect(await page.textContent('#table-note')).toBe('patient NII1: 2 studies checked')
    await page.waitForFunction(() => (window as any).noraViewer?.state().viewports[1].volumes.length === 1, null, { timeout: 30_000 })
    await page.waitForSelector('#file-tree .file-tree-body[data-psid="NII1#S1"]')
    expect(new URL(page.url()).hash).toBe('')
    await shot(page, 'url-call-2-patient')

    // A study named with selmode patient (spelled subject): that study opens, the patient's studies checked.
    const second = { pid: 'NII1', sid: 'S2', selmode: 'Subject' }
    await page.goto(`${site.url}index.php?project=${P}&call=${encodeURIComponent(JSON.stringify(second))}`)
    await page.waitForSelector('#table-body tr.study.selected')
    expect(await page.getAttribute('#table-body tr.study.selected', 'data-psid')).toBe('NII1#S2')
    await page.waitForFunction(() => document.querySelectorAll('#table-body .row-check:checked').length === 2)
    expect((await rows()).filter(([, checked]) => checked).map(([psid]) => psid)).toEqual(['NII1#S1', 'NII1#S2'])
    // selmode study (the default) checks nothing.
    await page.goto(`${site.url}index.php?project=${P}&call=${encodeURIComponent(JSON.stringify({ pid: 'NII2', selmode: 'study' }))}`)
    await page.waitForSelector('#table-body tr.study.selected[data-psid="NII2#S1"]')
    expect(await page.$$eval('#table-body .row-check:checked', (b) => b.length)).toBe(0)

    // An unknown selmode is refused with what it may be.
    const bad = await fetch(`${site.url}index.php?project=${P}&call=${encodeURIComponent(JSON.stringify({ pid: 'NII1', selmode: 'everything', user: 'donaldduck', token }))}`, { redirect: 'manual' })
    expect(bad.status).toBe(400)
    const text = await bad.text()
    expect(text).toContain('&quot;selmode&quot; must be study (select the study) or patient')
    expect(text).not.toContain(token)
    expect(errors, errors.join('\n')).toEqual([])
  }, 120_000)
})
