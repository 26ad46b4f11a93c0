import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { collectErrors, logIn } from './browser'
import { projectWithFiles, shooter, startAppSite, type AppSite } from './fixture'

const NIB = '/usr/lib/python3/dist-packages/nibabel/tests/data'
const PW = 'site admin password 1'
const shot = shooter('admin')

describe('admin pages in Chromium: a site admin creates a user and gives a right, the user signs in; a fork', () => {
  let site: AppSite
  beforeAll(async () => {
    site = await startAppSite({
      username: 'root',
      password: PW,
      setup: async (s, user) => {
        await s.repos.users.setSiteAdmin(user.id, true)
        await projectWithFiles('LAB', [join(NIB, 'anatomical.nii')])(s, user)
        mkdirSync(join(s.config.dataRoot, 'logs'), { recursive: true })
        writeFileSync(join(s.config.dataRoot, 'logs', 'nora.log'), 'nora serve: listening\ndicom: study 1.2.3 from <b>SCANNER</b> -> quarantine\nhttp: ready\n')
      },
    })
  }, 120_000)
  afterAll(async () => site?.close())

  test('create dora, grant read on LAB, dora signs in and sees LAB but not the admin pages', async () => {
    const { page, errors } = await site.page({ width: 1280, height: 800 })
    await page.click('#user-menu summary')
    await Promise.all([page.waitForURL(/\/admin\/users$/), page.click('#nav-admin')])
    await page.fill('#new-username', 'dora')
    await page.fill('#new-user-password', 'dora password 1')
    await page.fill('#new-user-email', 'dora@example.org')
    await Promise.all([page.waitForURL(/done=created/), page.click('#create-user')])
    expect(await page.textContent('#admin-notice')).toBe('User "dora" created.')
    const row = page.locator('tr[data-username="dora"]')
    await row.locator('select[name=project]').selectOption('LAB')
    await row.locator('select[name=role]').selectOption('read')
    await Promise.all([page.waitForURL(/done=granted/), row.locator('button.grant').click()])
    expect(await page.textContent('#admin-notice')).toBe('"dora" has read on "LAB" now.')
    expect(await page.locator('tr[data-username="dora"] .rights .right').textContent()).toContain('LAB: read')
    await shot(page, 'admin-1-users')

    const dora = await site.browser.newPage({ viewport: { width: 1280, height: 800 } })
    const doraErrors = collectErrors(dora)
    await logIn(dora, site.url, 'dora', 'dora password 1')
    expect(await dora.locator('main').textContent()).toContain('LAB')
    expect(await dora.locator('#nav-admin').count()).toBe(0)
    // Fork Project from the user menu: dora (read on LAB) makes her own copy and lands on it as its admin.
    await dora.click('#user-menu summary')
    await Promise.all([dora.waitForURL(/\/fork$/), dora.click('#nav-fork')])
    await dora.selectOption('#fork-source', 'LAB')
    await dora.fill('#fork-target', 'LAB-dora')
    await dora.check('#fork-copy')
    await shot(dora, 'admin-5-user-fork')
    await Promise.all([dora.waitForURL(/\?project=LAB-dora$/), dora.click('#fork-go')])
    await dora.waitForSelector('.workstation[data-project="LAB-dora"]')
    expect(await dora.textContent('.ws-counts')).toContain('your role: admin')
    const forbidden = await dora.goto(`${site.url}admin/users`)
    expect(forbidden?.status()).toBe(403)
    expect(await dora.textContent('main')).toContain('the admin pages are for site admins')
    await dora.close()
    expect(doraErrors.filter((e) => !e.includes('403'))).toEqual([])
    expect(errors).toEqual([])
  }, 120_000)

  test('fork LAB sharing its files; the fork has the study; the log is searched; a live setting is saved', async () => {
    const { page, errors } = await site.page({ width: 1280, height: 800 })
    await page.goto(`${site.url}admin/projects`)
    const row = page.locator('tr[data-project="LAB"]')
    await row.locator('input[name=target]').fill('LAB-fork')
    await row.locator('select[name=mode]').selectOption('share')
    await Promise.all([page.waitForURL(/done=forked/), row.locator('button.fork').click()])
    expect(await page.textContent('#admin-notice')).toBe('"LAB-fork" is a fork of "LAB" (1 file(s)).')
    await page.waitForSelector('tr[data-project="LAB-fork"]')
    await shot(page, 'admin-2-projects')
    const original = join(site.services.archive.projectDir({ name: 'LAB' } as never), 'P1', 'S1', 'anat', 'anatomical.nii')
    const forked = join(site.services.archive.projectDir({ name: 'LAB-fork' } as never), 'P1', 'S1', 'anat', 'anatomical.nii')
    expect(existsSync(forked)).toBe(true)
    expect(statSync(forked).ino).toBe(statSync(original).ino)
    // The fork in the project table, with its study and file.
    await page.goto(site.url)
    const forkRow = page.locator('main tr', { hasText: 'LAB-fork' })
    expect((await forkRow.textContent())!.replace(/\s+/g, ' ')).toContain('LAB-fork')
    expect(await forkRow.locator('td').nth(4).textContent()).toBe('1')

    await page.goto(`${site.url}admin/log`)
    await page.fill('#log-search', 'dicom')
    await Promise.all([page.waitForURL(/q=dicom/), page.click('#log-go')])
    expect(await page.textContent('#server-log')).toBe('dicom: study 1.2.3 from <b>SCANNER</b> -> quarantine\n')
    await shot(page, 'admin-3-log')

    await page.goto(`${site.url}admin/settings`)
    const setting = page.locator('tr[data-setting="dicom.quietSeconds"]')
    await setting.locator('input[name=value]').fill('5')
    await Promise.all([page.waitForURL(/done=setting/), setting.locator('button.save-setting').click()])
    expect(site.services.config.main.dicom.quietSeconds).toBe(5)
    expect(await page.locator('tr[data-setting="dicom.quietSeconds"] input[name=value]').inputValue()).toBe('5')
    await shot(page, 'admin-4-settings')
    expect(errors).toEqual([])
  }, 120_000)
})
