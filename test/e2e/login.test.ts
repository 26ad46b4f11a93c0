import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { REPO } from '../helpers/nora-binary'
import { cliHome, ok, type CliHome } from '../integration/cli/cli-harness'

const SHOTS = join(REPO, 'test-output', 'e2e')

// Signing in and out in Debian's Chromium against the built ./nora, started with `nora start` on a temp home.
describe('login, desktop and logout in Chromium', () => {
  let h: CliHome
  let password: string
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const problems: string[] = []
  let step = 'setup'

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    h = await cliHome('sqlite')
    const init = await h.init()
    ok(init.result)
    password = init.password!
    ok(await h.nora(['--createproject', 'Study1']))
    ok(await h.nora(['-c', 'Study2']))
    const file = join(h.dataRoot, 'projects', 'Study1', 'SUBJ01', 'STUDY01', 'anat', 'notes.txt')
    mkdirSync(join(file, '..'), { recursive: true })
    writeFileSync(file, 'hello\n')
    ok(await h.nora(['-p', 'Study1', '--add', file]))
    await h.start()

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
    context = await browser.newContext({ viewport: { width: 1100, height: 700 } })
    page = await context.newPage()
    // Console errors include CSP violations ("Refused to execute inline script ...") and failed loads.
    page.on('console', (m) => {
      if (m.type() !== 'error') return
      // The wrong password's page answers 401 on purpose; Chromium logs that status as a console error.
      if (step === 'wrong-password' && m.text().includes('status of 401')) return
      problems.push(`console (${step}): ${m.text()}`)
    })
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
    page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`))
    page.on('response', (r) => {
      // The wrong password is meant to answer 401; anything else failing is a problem.
      if (r.status() >= 400 && !(r.status() === 401 && new URL(r.url()).pathname === '/login')) problems.push(`HTTP ${r.status()} ${r.url()}`)
    })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await h?.close()
  })

  test('the desktop URL redirects to the login page', async () => {
    step = 'redirect'
    await page.goto(h.url)
    expect(new URL(page.url()).pathname).toBe('/login')
    expect(new URL(page.url()).searchParams.get('next')).toBe('/')
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign in to NORA')
    expect(await page.locator('input[name=username]').isVisible()).toBe(true)
    expect(await page.locator('input[name=password]').getAttribute('type')).toBe('password')
    await shot('login-1-form')
  })

  test('a wrong password shows an error and keeps the user name', async () => {
    step = 'wrong-password'
    await page.fill('input[name=username]', 'admin')
    await page.fill('input[name=password]', 'not-the-password')
    const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')])
    expect(response?.status()).toBe(401)
    const alert = page.locator('.error[role=alert]')
    expect(await alert.isVisible()).toBe(true)
    expect((await alert.textContent())!.trim().length).toBeGreaterThan(0)
    expect(await alert.textContent()).not.toContain('not-the-password')
    expect(await page.inputValue('input[name=username]')).toBe('admin')
    expect(await page.inputValue('input[name=password]')).toBe('')
    expect(new URL(page.url()).pathname).toBe('/login')
    await shot('login-2-wrong-password')
  })

  test('the right password opens the desktop with the project list', async () => {
    step = 'sign-in'
    await page.fill('input[name=password]', password)
    await Promise.all([page.waitForURL(h.url), page.click('button[type=submit]')])
    expect(new URL(page.url()).pathname).toBe('/')
    const names = await page.locator('#project-list .project-list a').allTextContents()
    expect(names.sort()).toEqual(['Study1', 'Study2'])
    expect(await page.locator('.topnav .who').textContent()).toContain('admin')
    expect(await page.locator('#workspace').textContent()).toContain('Choose a project')
    // The overview: every project with its subjects, studies and files.
    expect(await page.locator('#workspace tr:has(a:text-is("Study1")) td.num').allTextContents()).toEqual(['1', '1', '1'])
    expect(await page.locator('#workspace tr:has(a:text-is("Study2")) td.num').allTextContents()).toEqual(['0', '0', '0'])
    const cookies = await context.cookies()
    expect(cookies.find((c) => c.name === 'nora_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' })
    await shot('login-3-desktop')
  })

  test('choosing a project in the header shows its workstation (htmx) and puts it in the URL', async () => {
    step = 'project'
    await page.click('#project-list summary')
    await page.click('#project-list a:text-is("Study1")')
    await page.waitForSelector('.workstation[data-project="Study1"]')
    expect(await page.locator('#ws-head .ps-current').textContent()).toBe('Study1')
    expect(await page.locator('#ws-head .ws-counts').textContent()).toMatch(/1 subject · 1 study · 1 file · your role: site admin/)
    expect(new URL(page.url()).searchParams.get('project')).toBe('Study1')
    expect(await page.locator('#project-list li.current a').textContent()).toBe('Study1')
    // The header survived the swap: #main and the header's project part were replaced, not the header.
    expect(await page.locator('header.topbar').count()).toBe(1)
    expect(await page.locator('#ws-head').count()).toBe(1)
    await shot('login-4-project')
  })

  test('log out returns to the login page and the session is gone', async () => {
    step = 'logout'
    await page.click('#user-menu summary') // Log out is in the user menu (with Profile)
    await Promise.all([page.waitForURL(/\/login/), page.click('button:text-is("Log out")')])
    expect(new URL(page.url()).pathname).toBe('/login')
    await shot('login-5-logged-out')
    expect((await context.cookies()).find((c) => c.name === 'nora_session')).toBeUndefined()
    await page.goto(new URL('/?project=Study1', h.url).href)
    expect(new URL(page.url()).pathname).toBe('/login')
    expect(new URL(page.url()).searchParams.get('next')).toBe('/?project=Study1')
  })

  test('no console errors, CSP violations or failed requests on the way', () => {
    expect(problems).toEqual([])
  })

  test('the CSP is enforced and its violations would have been seen', async () => {
    step = 'csp-probe'
    await page.evaluate(() => {
      const s = document.createElement('script')
      s.textContent = 'window.__injected = true'
      document.head.appendChild(s)
    })
    await page.waitForTimeout(200)
    expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined()
    expect(problems.some((p) => p.startsWith('console (csp-probe)') && p.includes('Content Security Policy'))).toBe(true)
  })
})
