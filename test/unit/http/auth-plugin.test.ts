import { describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { Rights } from '../../../src/auth/rights'
import { AuthError, NoraError, NotFoundError } from '../../../src/core/errors'
import type { Action, Project, Role, User } from '../../../src/core/types'
import { authPlugin, SIGN_IN } from '../../../src/http/plugins/auth'

const person = (id: number, username: string): User => ({ id, username, displayName: username, email: '', isSiteAdmin: false, source: 'local', disabled: false, createdAt: 0 })
const alice = person(1, 'alice')
const bob = person(2, 'bob')
const mine: Project = { id: 7, name: 'mine' } as Project
const roles: Record<string, Role> = { '1:7': 'read', '2:7': 'jobs' }

/** An app as create-app.ts wires it: the plugin, a before-handle hook that asks for the caller (the CSRF check), routes. */
function app() {
  const lookups: string[] = []
  const auth = {
    async session(cookie: string | undefined) {
      lookups.push(`session ${cookie}`)
      return cookie === 'good' ? { user: alice, csrfToken: 'T' } : undefined
    },
    async userForToken(token: string) {
      lookups.push(`token ${token}`)
      if (token === 'nora_bob') return bob
      throw new AuthError('wrong user name or token')
    },
  }
  const rights = new Rights({ rights: { roleOf: async (u: number, p: number) => roles[`${u}:${p}`] }, projects: {} } as never)
  const projects = {
    async requireProject(name: string) {
      if (name !== mine.name) throw new NotFoundError(`no project "${name}"; nora --admin projects lists them`)
      return mine
    },
  }
  const a = new Elysia()
    .use(authPlugin({ auth, rights, projects }))
    .onBeforeHandle(async ({ request, auth }) => {
      if (request.method !== 'GET') await auth.caller().catch(() => undefined)
    })
    .onError(({ error }) => new Response((error as Error).message, { status: error instanceof NoraError ? error.status : 500 }))
    .get('/open', () => 'open')
    .post('/me', async ({ auth }) => (await auth.user()).username)
    .get('/p/:name/:action', async ({ auth, params }) => (await auth.project(params.name, params.action as Action)).project.name)
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await a.handle(new Request(`http://nora.test${path}`, init))
    return { status: res.status, text: await res.text() }
  }
  return { call, lookups }
}

describe('auth plugin', () => {
  test('the caller is looked up once per request: the CSRF hook and the handler share it', async () => {
    const { call, lookups } = app()
    expect(await call('/me', { method: 'POST', headers: { cookie: 'nora_session=good' } })).toEqual({ status: 200, text: 'alice' })
    expect(lookups).toEqual(['session good'])
    expect(await call('/me', { method: 'POST', headers: { authorization: 'Bearer nora_bob' } })).toEqual({ status: 200, text: 'bob' })
    expect(lookups).toEqual(['session good', 'token nora_bob'])
  })

  test('a route that does not ask never looks up, even with a wrong token', async () => {
    const { call, lookups } = app()
    expect(await call('/open', { headers: { authorization: 'Bearer nora_wrong' } })).toEqual({ status: 200, text: 'open' })
    expect(lookups).toEqual([])
  })

  test('needs a user: anonymous is told how to sign in (401); a wrong token is an error, not anonymous', async () => {
    const { call } = app()
    expect(await call('/me', { method: 'POST' })).toEqual({ status: 401, text: SIGN_IN })
    expect(await call('/me', { method: 'POST', headers: { cookie: 'nora_session=expired' } })).toEqual({ status: 401, text: SIGN_IN })
    expect(await call('/me', { method: 'POST', headers: { 'x-nora-token': 'nora_wrong' } })).toEqual({ status: 401, text: 'wrong user name or token' })
  })

  test('needs right R on project P, in the order read < write < jobs < admin', async () => {
    const { call } = app()
    const as = (who: 'alice' | 'bob'): RequestInit => (who === 'alice' ? { headers: { cookie: 'nora_session=good' } } : { headers: { authorization: 'Bearer nora_bob' } })
    expect((await call('/p/mine/read', as('alice'))).status).toBe(200)
    const refused = await call('/p/mine/write', as('alice'))
    expect(refused.status).toBe(403)
    expect(refused.text).toContain('user "alice" may not write project "mine"')
    for (const action of ['read', 'write', 'jobs']) expect((await call(`/p/mine/${action}`, as('bob'))).status).toBe(200)
    expect((await call('/p/mine/admin', as('bob'))).status).toBe(403)
    expect(await call('/p/other/read', as('bob'))).toEqual({ status: 404, text: 'no project "other"; nora --admin projects lists them' })
    expect((await call('/p/mine/read')).status).toBe(401)
  })
})
