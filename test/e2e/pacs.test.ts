import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DICOMDIRTESTS, python } from '../helpers/dicom-fixtures'
import { startOrthanc, type Orthanc } from '../services/orthanc'
import { shooter, startSite, type Site } from './fixture'

const XSS = '<img src=x onerror=alert(1)>'
const shot = shooter('pacs')
const ARCHIBALD = ['1.3.6.1.4.1.5962.1.1.0.0.0.1196527414.5534.0.1', '1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.1'] // 3 + 4 instances (pydicom's dicomdirtests)

/** One study written by pydicom whose PatientName and StudyDescription are an HTML injection. */
function hostileStudy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nora-hostile-'))
  python(
    `
import pydicom, pathlib, sys
from pydicom.uid import generate_uid
src = sorted(p for p in pathlib.Path(sys.argv[1]).rglob('*') if p.is_file() and p.parent.name != 'dicomdirtests')[0]
d = pydicom.dcmread(src)
d.PatientName = sys.argv[3]; d.StudyDescription = sys.argv[3]; d.PatientID = 'HOSTILE1'
d.StudyInstanceUID = generate_uid(); d.SeriesInstanceUID = generate_uid(); d.SOPInstanceUID = generate_uid()
d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID
d.save_as(sys.argv[2] + '/hostile.dcm')`,
    [DICOMDIRTESTS, dir, XSS],
  )
  return dir
}

describe('desktop: PACS query, pull into a project with live progress', () => {
  let site: Site
  let orthanc: Orthanc | undefined

  beforeAll(async () => {
    site = await startSite({
      projects: ['cohort'],
      setup: async ({ home }) => {
        orthanc = await startOrthanc({ nora: ['NORA', '127.0.0.1', home.dicomPort] })
        orthanc.load(DICOMDIRTESTS)
        orthanc.load(hostileStudy())
        writeFileSync(join(home.home, 'conf/pacs.conf'), `{ nodes: { clinic: { aet: "ORTHANC", host: "127.0.0.1", port: ${orthanc.dicomPort}, retrieve: "move" } }, allowedCallingAets: [] }`)
      },
    })
  }, 120_000)
  afterAll(async () => {
    await site?.close()
    await orthanc?.stop()
  }, 60_000)

  test('search shows the PACS studies (a hostile name as text), select 2, pull into a project, progress reaches imported', async () => {
    const { page, errors } = await site.page({ width: 1400, height: 1000 })
    const dialogs: string[] = []
    page.on('dialog', (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
    await page.click('.tools-menu summary')
    await shot(page, '1-tools-menu')
    await page.click('#nav-pacs')
    await page.waitForSelector('#pacs-search')
    await page.selectOption('#pacs-project', 'cohort')
    await shot(page, '2-pacs-page')

    await page.click('#pacs-run')
    await page.waitForSelector('#pacs-count')
    expect(await page.textContent('#pacs-count')).toContain('8 studies from clinic')
    const uids = await page.$$eval('input[name=study]', (els) => els.map((e) => (e as HTMLInputElement).value))
    expect(uids).toHaveLength(8)
    for (const uid of ARCHIBALD) expect(uids).toContain(uid)
    // the hostile study renders as text: no <img> anywhere in the results, the string visible verbatim
    expect(await page.locator('#pacs-results img').count()).toBe(0)
    expect(await page.textContent('#pacs-results')).toContain(XSS)
    expect(page.url()).toContain('search=1')
    await shot(page, '3-results')

    // select all, then none, then two studies
    await page.check('#pacs-select-all')
    expect(await page.textContent('#pacs-selected')).toBe('8 of 8 selected')
    await page.uncheck('#pacs-select-all')
    expect(await page.textContent('#pacs-selected')).toBe('0 of 8 selected')
    expect(await page.isDisabled('#pacs-pull-button')).toBe(true)
    for (const uid of ARCHIBALD) await page.check(`input[name=study][value="${uid}"]`)
    expect(await page.textContent('#pacs-selected')).toBe('2 of 8 selected')
    await page.selectOption('#pacs-pull-project', 'cohort')
    await shot(page, '4-selected')

    await page.click('#pacs-pull-button')
    await page.waitForSelector('#pacs-pull .pacs-pull')
    await shot(page, '5-pull-started')
    expect(await page.locator('#pacs-pull tr[data-uid]').count()).toBe(2)
    await page.waitForFunction(() => document.querySelectorAll('#pacs-pull td.study-state').length === 2 && Array.from(document.querySelectorAll('#pacs-pull td.study-state')).every((td) => td.textContent === 'imported'), null, { timeout: 120_000, polling: 500 })
    const received = await page.$$eval('#pacs-pull td.received', (tds) => tds.map((td) => td.textContent))
    expect(received.sort()).toEqual(['3 / 3', '4 / 4'])
    expect(await page.textContent('#pacs-pull .pull-state')).toBe('done')
    // polling stopped with the pull, and the list of recent pulls shows it done
    expect(await page.getAttribute('#pacs-pull .pacs-pull', 'hx-trigger')).toBeNull()
    await page.waitForFunction(() => /done/.test(document.getElementById('pacs-pull-list')?.textContent ?? ''), null, { timeout: 10_000 })
    await shot(page, '6-imported')

    // the archive has the two studies of one subject (read by nora's CLI, a separate process)
    const sel = await site.nora(['-p', 'cohort', '--select', '*/*.nii', '--json'])
    expect(sel.code, sel.stderr).toBe(0)
    const files = JSON.parse(sel.stdout) as { patients_id: string; studies_id: string }[]
    expect(new Set(files.map((f) => `${f.patients_id}/${f.studies_id}`))).toEqual(new Set(['77654033/20010101_000000', '77654033/19950903_173032']))
    expect(dialogs).toEqual([])
    expect(errors, errors.join('\n')).toEqual([])
  }, 180_000)
})
