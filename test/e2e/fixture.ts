/**
 * The e2e fixtures. `startSite`: a temporary NORA_HOME, `nora init` (its admin password), projects, the built ./nora
 * started on free ports, and Debian's Chromium; pages come logged in as the admin with their console errors collected.
 * `startAppSite`: the same with nora's app in this process (real HTTP, the services at hand) and one ordinary user.
 * `close` stops and removes all of it. Tests prepare their data in `setup`, before the server starts.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import type { Services } from '../../src/app'
import type { User } from '../../src/core/types'
import { makeHome, type TestHome } from '../helpers/home'
import type { Harness } from '../integration/http/harness'
import { REPO, runNora, type RunResult } from '../helpers/nora-binary'
import { collectErrors, launchChromium, logIn } from './browser'

export interface Site {
  home: TestHome
  /** http://127.0.0.1:PORT/ */
  url: string
  /** The admin's password, from `nora init`. */
  password: string
  browser: Browser
  /** The CLI on this home (the test judges its exit code and output). */
  nora(args: string[], timeoutMs?: number): Promise<RunResult>
  /** A new page of this size, logged in as admin, with the console errors it reports. */
  page(size?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }>
  close(): Promise<void>
}

export interface SiteOptions {
  projects?: string[]
  /** Data and configuration, on the home, before `nora start`. */
  setup?: (site: Pick<Site, 'home' | 'nora'>) => Promise<void>
  homeOptions?: Parameters<typeof makeHome>[0]
}

export async function startSite(opts: SiteOptions = {}): Promise<Site> {
  const home = makeHome(opts.homeOptions)
  let browser: Browser | undefined
  let started = false
  const nora = (args: string[], timeoutMs?: number) => runNora(args, { home: home.home, timeoutMs })
  const must = async (args: string[]) => {
    const r = await nora(args)
    if (r.code !== 0) throw new Error(`nora ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`)
    return r
  }
  const close = async () => {
    await browser?.close()
    if (started) await runNora(['stop'], { home: home.home })
    home.cleanup()
  }
  try {
    const init = await must(['init'])
    const password = init.stdout.match(/password: (\S+)/)?.[1]
    if (!password) throw new Error(`nora init printed no password: ${init.stdout}`)
    for (const p of opts.projects ?? []) await must(['--createproject', p])
    await opts.setup?.({ home, nora })
    started = true
    await must(['start'])
    browser = await launchChromium()
    const b = browser
    return {
      home,
      url: home.url,
      password,
      browser: b,
      nora,
      close,
      async page(size = { width: 1400, height: 900 }) {
        const page = await b.newPage({ viewport: size })
        const errors = collectErrors(page)
        await logIn(page, home.url, 'admin', password)
        return { page, errors }
      },
    }
  } catch (e) {
    await close()
    throw e
  }
}

export interface AppSite {
  home: TestHome
  url: string
  services: Services
  /** The user the pages log in as (no site admin): the owner of what `setup` made. */
  user: User
  browser: Browser
  page(size?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }>
  close(): Promise<void>
}

/** nora's app in this process over a temporary home, one user (`ann` unless named), Chromium. */
export async function startAppSite(opts: { username?: string; password: string; setup?: (services: Services, user: User) => Promise<void> }): Promise<AppSite> {
  const home = makeHome()
  const username = opts.username ?? 'ann'
  let services: Services | undefined
  let browser: Browser | undefined
  let stop = async () => {}
  const close = async () => {
    await browser?.close()
    await stop()
    await services?.close()
    home.cleanup()
  }
  try {
    // Loaded here: the tests of the built binary need none of the app's modules.
    const [{ httpDeps, openServices }, { loadConfig }, { createApp }] = await Promise.all([import('../../src/app'), import('../../src/config/load-config'), import('../../src/http/create-app')])
    const s = (services = await openServices(loadConfig(home.home)))
    const user = await s.repos.users.create({ username, passwordHash: await Bun.password.hash(opts.password, { algorithm: 'argon2id', memoryCost: 1024, timeCost: 1 }) })
    await opts.setup?.(s, user)
    const app = createApp(httpDeps(s))
    app.listen({ hostname: '127.0.0.1', port: home.httpPort })
    stop = async () => void (await app.stop())
    const b = (browser = await launchChromium())
    return {
      home,
      url: home.url,
      services: s,
      user,
      browser: b,
      close,
      async page(size = { width: 1400, height: 1000 }) {
        const page = await b.newPage({ viewport: size })
        const errors = collectErrors(page)
        await logIn(page, home.url, username, opts.password)
        return { page, errors }
      },
    }
  } catch (e) {
    await close()
    throw e
  }
}

/** An app of the HTTP test harness served on a free loopback port, with Chromium; `close` ends browser, server and harness. */
export async function serveWithChromium(h: Harness): Promise<{ url: string; browser: Browser; close: () => Promise<void> }> {
  const server = h.app.listen({ hostname: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${server.server!.port}/`
  let browser: Browser | undefined
  const close = async () => {
    await browser?.close()
    await server.stop()
    await h.close()
  }
  try {
    browser = await launchChromium()
  } catch (e) {
    await close()
    throw e
  }
  return { url, browser, close }
}

/** Chooses a project in the header's switcher (an htmx swap of the workstation) and waits for its table. */
export async function chooseProject(page: Page, name: string): Promise<void> {
  await page.click('#project-list summary')
  await page.click(`#project-list .project-list a:text-is("${name}")`)
  await page.waitForSelector(`.workstation[data-project="${name}"] #table-region`)
  await page.waitForSelector('html[data-desktop="wired"]', { state: 'attached' })
}

/** Screenshots of a test, in test/e2e/output/<dir>/ (gitignored). */
export function shooter(dir: string, opts: { fullPage?: boolean } = {}) {
  const out = join(REPO, 'test', 'e2e', 'output', dir)
  return async (page: Page, name: string) => {
    mkdirSync(out, { recursive: true })
    await page.screenshot({ path: join(out, `${name}.png`), fullPage: opts.fullPage ?? true })
  }
}

/**
 * A project of the app site's user holding `files` (copied into study P1/S1, folder `anat`, and registered): what the
 * viewer tests start from. For startAppSite's `setup`.
 */
export function projectWithFiles(project: string, files: string[]): (s: Services, user: User) => Promise<void> {
  return async (s, user) => {
    const p = await s.archive.createProject(user, project)
    const dir = join(s.archive.projectDir(p), 'P1', 'S1', 'anat')
    mkdirSync(dir, { recursive: true })
    const copies = files.map((f) => join(dir, f.split('/').pop()!))
    files.forEach((f, i) => copyFileSync(f, copies[i]!))
    await s.archive.addFiles(user, project, copies)
  }
}

/** Opens the project's desktop, selects its first study and returns the archive URL of its file `name`. */
export async function studyFileUrl(page: Page, url: string, project: string, name: string): Promise<string> {
  await page.goto(`${url}?project=${project}`)
  await page.click('#table-body tr.study')
  const row = page.locator(`#file-tree [data-nora-name="${name}"]`)
  await row.waitFor()
  return (await row.getAttribute('data-nora-file'))!
}

/**
 * The page position of a world point (RAS mm) in a viewport, by NiiVue's own mm -> canvas mapping. It waits until
 * NiiVue's canvas has the size the layout gives it (a tool panel opening resizes the viewports) and redraws first,
 * so the mapping is that of the frame on screen, not of one drawn before a resize.
 */
export async function mmOnPage(page: Page, mm: number[], viewport = 0): Promise<{ x: number; y: number }> {
  await page.waitForFunction((i) => {
    const vp = (window as unknown as { noraViewer: any }).noraViewer.viewer.viewports[i]
    const dpr = vp.nv.uiData.dpr || 1
    return Math.abs(vp.canvas.width - Math.round(vp.canvas.clientWidth * dpr)) <= 1 && Math.abs(vp.canvas.height - Math.round(vp.canvas.clientHeight * dpr)) <= 1
  }, viewport)
  return page.evaluate(
    ([mm, i]) => {
      const vp = (window as unknown as { noraViewer: any }).noraViewer.viewer.viewports[i as number]
      const nv = vp.nv
      nv.drawScene()
      const pos = nv.frac2canvasPos(nv.mm2frac(mm))
      const r = vp.canvas.getBoundingClientRect()
      const dpr = nv.uiData.dpr || 1
      return { x: r.left + pos[0] / dpr, y: r.top + pos[1] / dpr }
    },
    [mm, viewport] as const,
  )
}
