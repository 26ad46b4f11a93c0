import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startSite, type Site } from './fixture'
import { serviceOrSkip, titled } from '../services/slurm'
import { LAB_GROUPS, LAB_USERS, labLdapBlock, startSlapd, type Slapd } from '../services/slapd'

const up = await serviceOrSkip('slapd', () => startSlapd(LAB_USERS, LAB_GROUPS))

// A directory user signs in with the login form of the built ./nora (nora start) in Debian's Chromium.
describe.skipIf(!up.handle)(titled('LDAP login in Chromium', up.skip), () => {
  const slapd = up.handle as Slapd
  let site: Site

  beforeAll(async () => {
    site = await startSite({ projects: ['LAB', 'OTHER'], homeOptions: { extra: labLdapBlock(slapd.url) } })
  }, 180_000)
  afterAll(async () => {
    await site?.close()
    await slapd?.stop()
  })

  const signIn = async (username: string, password: string) => {
    const page = await site.browser.newPage({ viewport: { width: 1200, height: 800 } })
    await page.goto(site.url)
    await page.fill('input[name=username]', username)
    await page.fill('input[name=password]', password)
    await page.click('button[type=submit]')
    await page.waitForSelector('#project-list, [role=alert]')
    return page
  }

  test('bob (group lab) signs in and sees LAB, not OTHER; a wrong password shows the usual message', async () => {
    const page = await signIn('bob', 'bob-pw-22')
    const projects = (await page.locator('#project-list').textContent()) ?? ''
    expect(projects).toContain('LAB')
    expect(projects).not.toContain('OTHER')
    await page.close()
    const wrong = await signIn('bob', 'bob-pw-wrong')
    expect(await wrong.locator('[role=alert]').innerText()).toBe('wrong user name or password')
    await wrong.close()
  }, 60_000)

  test('alice (group admins) is site admin: sees every project; with the directory down the page says so', async () => {
    const page = await signIn('alice', 'alice-pw-1')
    const projects = (await page.locator('#project-list').textContent()) ?? ''
    expect(projects).toContain('LAB')
    expect(projects).toContain('OTHER')
    await page.close()
    await slapd.stop()
    const down = await signIn('alice', 'alice-pw-1')
    expect(await down.locator('[role=alert]').innerText()).toEndWith('does not answer (connect ECONNREFUSED 127.0.0.1:' + slapd.port + '); local accounts still work')
    await down.close()
    const admin = await signIn('admin', site.password)
    expect(await admin.locator('#project-list').count()).toBe(1)
    await admin.close()
  }, 60_000)
})
