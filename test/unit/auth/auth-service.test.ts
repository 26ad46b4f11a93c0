import { afterAll, afterEach, beforeAll, describe, expect, setSystemTime, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { AuthService, TOKEN_PREFIX } from '../../../src/auth/auth-service'
import { hashPassword } from '../../../src/auth/secrets'
import { AuthError, RateLimitError } from '../../../src/core/errors'
import type { User } from '../../../src/core/types'
import { cheapHash, tempStore } from './temp-store'

const PASSWORD = 'correct horse battery staple'
const LIMITS = { sessionHours: 2, maxFailedLogins: 3, failedLoginWindowSeconds: 300 }

let store: Awaited<ReturnType<typeof tempStore>>
let auth: AuthService
let cheap: string
let n = 0
/** A fresh user with the test password (cheap argon2id unless `hash` is given). */
const newUser = async (hash = cheap) => store.repos.users.create({ username: `user${++n}`, passwordHash: hash })

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (e) {
    return e as Error
  }
  throw new Error('expected a rejection')
}

beforeAll(async () => {
  store = await tempStore()
  auth = new AuthService(store.repos, LIMITS)
  cheap = await cheapHash(PASSWORD)
})
afterAll(async () => {
  await store.close()
})
afterEach(() => {
  setSystemTime()
})

describe('checkPassword', () => {
  test('the right password gives the user, a wrong one an AuthError', async () => {
    const u = await newUser()
    expect((await auth.checkPassword(u.username, PASSWORD, '192.0.2.1')).id).toBe(u.id)
    const e = await rejection(auth.checkPassword(u.username, 'wrong password', '192.0.2.1'))
    expect(e).toBeInstanceOf(AuthError)
    expect((e as AuthError).status).toBe(401)
  })

  test('unknown user and wrong password get the same message', async () => {
    const u = await newUser()
    const wrong = await rejection(auth.checkPassword(u.username, 'nope nope', '192.0.2.2'))
    const unknown = await rejection(auth.checkPassword('no-such-user', PASSWORD, '192.0.2.2'))
    expect(wrong).toBeInstanceOf(AuthError)
    expect(unknown).toBeInstanceOf(AuthError)
    expect(unknown.message).toBe(wrong.message)
    expect(wrong.message).not.toContain(u.username)
  })

  test('a disabled user cannot sign in, and is told the same as for a wrong password', async () => {
    const u = await newUser()
    await store.repos.users.setDisabled(u.id, true)
    const e = await rejection(auth.checkPassword(u.username, PASSWORD, '192.0.2.3'))
    expect(e).toBeInstanceOf(AuthError)
    expect(e.message).toBe((await rejection(auth.checkPassword('no-such-user-2', PASSWORD, '192.0.2.3'))).message)
  })

  test('unknown user and wrong password take similar time (argon2id work in both)', async () => {
    // Production cost parameters here: the decoy hash for unknown users uses them too.
    const u = await newUser(await hashPassword(PASSWORD))
    const time = async (name: string, i: number) => {
      const t = performance.now()
      await auth.checkPassword(name, 'wrong password', `198.51.100.${i}`).catch(() => {})
      return performance.now() - t
    }
    await time('warm-up-unknown', 200) // computes the decoy hash once
    const wrong: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 5; i++) {
      wrong.push(await time(u.username, i))
      unknown.push(await time(`ghost${i}`, 100 + i))
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!
    const [w, g] = [median(wrong), median(unknown)]
    // argon2id dominates: both are tens of milliseconds, neither is a quick table miss.
    expect(w).toBeGreaterThan(10)
    expect(g).toBeGreaterThan(10)
    expect(Math.max(w, g) / Math.min(w, g)).toBeLessThan(3)
  }, 20_000)

  test('per user: after maxFailedLogins failures even the right password is refused', async () => {
    const u = await newUser()
    for (let i = 0; i < LIMITS.maxFailedLogins; i++)
      expect(await rejection(auth.checkPassword(u.username, 'wrong', `10.1.0.${i}`))).toBeInstanceOf(AuthError)
    const e = await rejection(auth.checkPassword(u.username, PASSWORD, '10.1.0.99'))
    expect(e).toBeInstanceOf(RateLimitError)
    expect((e as RateLimitError).status).toBe(429)
    expect(e.message).toContain('this user')
    // Another user from the same fresh address is not affected.
    const other = await newUser()
    expect((await auth.checkPassword(other.username, PASSWORD, '10.1.0.99')).id).toBe(other.id)
  })

  test('per user: the limit lifts when the window has passed', async () => {
    const u = await newUser()
    for (let i = 0; i < LIMITS.maxFailedLogins; i++) await auth.checkPassword(u.username, 'wrong', `10.2.0.${i}`).catch(() => {})
    expect(await rejection(auth.checkPassword(u.username, PASSWORD, '10.2.0.50'))).toBeInstanceOf(RateLimitError)
    setSystemTime(new Date(Date.now() + (LIMITS.failedLoginWindowSeconds + 1) * 1000))
    expect((await auth.checkPassword(u.username, PASSWORD, '10.2.0.50')).id).toBe(u.id)
  })

  test('per address: failures across different user names from one address block it', async () => {
    const users = [await newUser(), await newUser(), await newUser()]
    for (const u of users) expect(await rejection(auth.checkPassword(u.username, 'wrong', '203.0.113.7'))).toBeInstanceOf(AuthError)
    const fresh = await newUser()
    const e = await rejection(auth.checkPassword(fresh.username, PASSWORD, '203.0.113.7'))
    expect(e).toBeInstanceOf(RateLimitError)
    expect(e.message).toContain('this address')
    // The same user from another address is fine: the block is on the address.
    expect((await auth.checkPassword(fresh.username, PASSWORD, '203.0.113.8')).id).toBe(fresh.id)
  })

  test('a successful login resets the user\'s failure count', async () => {
    const u = await newUser()
    for (let i = 0; i < LIMITS.maxFailedLogins - 1; i++) await auth.checkPassword(u.username, 'wrong', `10.3.0.${i}`).catch(() => {})
    await auth.checkPassword(u.username, PASSWORD, '10.3.0.10')
    for (let i = 0; i < LIMITS.maxFailedLogins - 1; i++) await auth.checkPassword(u.username, 'wrong', `10.3.1.${i}`).catch(() => {})
    expect((await auth.checkPassword(u.username, PASSWORD, '10.3.0.11')).id).toBe(u.id)
  })
})

describe('sessions', () => {
  let user: User
  beforeAll(async () => {
    user = await newUser()
  })

  test('an opened session resolves to its user and CSRF token', async () => {
    const s = await auth.openSession(user)
    expect(s.maxAgeSeconds).toBe(LIMITS.sessionHours * 3600)
    const found = await auth.session(s.cookie)
    expect(found?.user.id).toBe(user.id)
    expect(found?.csrfToken).toBe(s.csrfToken)
    expect(s.cookie).not.toBe(s.csrfToken)
  })

  test('only the hash of the cookie is stored', async () => {
    const s = await auth.openSession(user)
    const rows = JSON.stringify(await store.db.all('SELECT * FROM sessions'))
    expect(rows).not.toContain(s.cookie)
    expect(rows).toContain(createHash('sha256').update(s.cookie).digest('hex'))
  })

  test('unknown, empty and missing cookies resolve to nothing', async () => {
    expect(await auth.session(undefined)).toBeUndefined()
    expect(await auth.session('')).toBeUndefined()
    expect(await auth.session('made-up-cookie-value')).toBeUndefined()
  })

  test('a session expires after sessionHours', async () => {
    const s = await auth.openSession(user)
    setSystemTime(new Date(Date.now() + (LIMITS.sessionHours * 3600 - 60) * 1000))
    expect(await auth.session(s.cookie)).toBeDefined()
    setSystemTime(new Date(Date.now() + 120 * 1000))
    expect(await auth.session(s.cookie)).toBeUndefined()
  })

  test('closing a session ends it, and only it', async () => {
    const a = await auth.openSession(user)
    const b = await auth.openSession(user)
    await auth.closeSession(a.cookie)
    expect(await auth.session(a.cookie)).toBeUndefined()
    expect(await auth.session(b.cookie)).toBeDefined()
  })

  test('a disabled user\'s sessions stop working', async () => {
    const u = await newUser()
    const s = await auth.openSession(u)
    await store.repos.users.setDisabled(u.id, true)
    expect(await auth.session(s.cookie)).toBeUndefined()
  })
})

describe('API tokens', () => {
  test('a created token resolves to its user; only its sha256 is stored', async () => {
    const u = await newUser()
    const token = await auth.createToken(u, 'laptop')
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true)
    expect(token.length).toBeGreaterThan(TOKEN_PREFIX.length + 30)
    expect((await auth.userForToken(token)).id).toBe(u.id)
    expect((await auth.userForToken(token, u.username)).id).toBe(u.id)
    const table = JSON.stringify(await store.db.all('SELECT * FROM api_tokens'))
    expect(table).not.toContain(token)
    expect(table).not.toContain(token.slice(TOKEN_PREFIX.length))
    expect(table).toContain(createHash('sha256').update(token).digest('hex'))
  })

  test('two tokens differ', async () => {
    const u = await newUser()
    expect(await auth.createToken(u, 'a')).not.toBe(await auth.createToken(u, 'b'))
  })

  test('a wrong token, an empty one, and a right token with the wrong user name all fail', async () => {
    const u = await newUser()
    const other = await newUser()
    const token = await auth.createToken(u, 'ci')
    expect(await rejection(auth.userForToken(`${token}x`))).toBeInstanceOf(AuthError)
    expect(await rejection(auth.userForToken(''))).toBeInstanceOf(AuthError)
    expect(await rejection(auth.userForToken(token, other.username))).toBeInstanceOf(AuthError)
    expect(await rejection(auth.userForToken(token, 'no-such-user'))).toBeInstanceOf(AuthError)
  })

  test('a disabled user\'s token fails', async () => {
    const u = await newUser()
    const token = await auth.createToken(u, 'x')
    await store.repos.users.setDisabled(u.id, true)
    expect(await rejection(auth.userForToken(token))).toBeInstanceOf(AuthError)
  })
})
