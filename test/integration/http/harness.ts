import { expect } from 'bun:test'
import { httpDeps, openServices, type Services } from '../../../src/app'
import { loadConfig } from '../../../src/config/load-config'
import type { User } from '../../../src/core/types'
import { createApp, type NoraApp } from '../../../src/http/create-app'
import { makeHome, type TestHome } from '../../helpers/home'
import { freshMysqlDatabase } from '../../services/mariadb'

export type Dialect = 'sqlite' | 'mysql'
export const ORIGIN = 'http://nora.test'

/** A real argon2id hash with small cost parameters: logins in these tests are about HTTP, not hashing cost. */
export const cheapHash = (password: string) => Bun.password.hash(password, { algorithm: 'argon2id', memoryCost: 1024, timeCost: 1 })

export interface Harness {
  app: NoraApp
  services: Services
  home: TestHome
  /** Sends a request to the app; `path` is relative to ORIGIN. */
  request(path: string, init?: RequestInit): Promise<Response>
  /** Creates a user with a password (not a site admin unless asked). */
  user(username: string, password: string, opts?: { siteAdmin?: boolean }): Promise<User>
  /** Signs in through the login form; returns the session cookie and the page's CSRF token. */
  login(username: string, password: string): Promise<{ cookie: string; csrf: string }>
  close(): Promise<void>
}

/** The app on a temp NORA_HOME, with SQLite or a fresh MariaDB database. `extra` is added to main.conf. */
export async function startApp(dialect: Dialect, extra = ''): Promise<Harness> {
  const fresh = dialect === 'mysql' ? await freshMysqlDatabase('nora_http') : undefined
  const home = makeHome({ mysql: fresh?.options, extra })
  const services = await openServices(loadConfig(home.home, {}))
  const app = createApp(httpDeps(services))
  const request = (path: string, init?: RequestInit) => app.handle(new Request(new URL(path, ORIGIN), init))
  const h: Harness = {
    app,
    services,
    home,
    request,
    async user(username, password, opts = {}) {
      return services.repos.users.create({ username, passwordHash: await cheapHash(password), isSiteAdmin: opts.siteAdmin })
    },
    async login(username, password) {
      const form = await loginForm(h)
      const res = await postLogin(h, form, { username, password })
      expect(res.status).toBe(303)
      const cookie = setCookies(res).find((c) => c.startsWith('nora_session='))
      expect(cookie).toBeDefined()
      const value = cookie!.split(';')[0]!
      const page = await (await request('/', { headers: { cookie: value } })).text()
      const csrf = page.match(/name="_csrf" value="([^"]+)"/)?.[1]
      expect(csrf).toBeDefined()
      return { cookie: value, csrf: csrf! }
    },
    async close() {
      await services.close()
      home.cleanup()
      await fresh?.drop()
    },
  }
  return h
}

export function setCookies(res: Response): string[] {
  return res.headers.getSetCookie()
}

/** GET /login: the double-submit cookie (name=value) and the hidden _csrf field. */
export async function loginForm(h: Harness, query = ''): Promise<{ cookie: string; csrf: string; html: string; res: Response }> {
  const res = await h.request(`/login${query}`)
  const html = await res.text()
  const cookie = setCookies(res).find((c) => c.startsWith('nora_login_csrf='))!.split(';')[0]!
  const csrf = html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? ''
  return { cookie, csrf, html, res }
}

export function postLogin(
  h: Harness,
  form: { cookie: string; csrf: string },
  fields: { username: string; password: string; next?: string; _csrf?: string | null },
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = new URLSearchParams({ username: fields.username, password: fields.password })
  const token = fields._csrf === undefined ? form.csrf : fields._csrf
  if (token !== null) body.set('_csrf', token)
  if (fields.next !== undefined) body.set('next', fields.next)
  return h.request('/login', {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie, ...headers },
    redirect: 'manual',
  })
}
