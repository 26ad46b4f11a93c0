import { afterAll, afterEach, beforeAll, describe, expect, setSystemTime, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { AuthService, EXPIRED_TOKENS_KEPT_MS, TOKEN_PREFIX } from '../../../src/auth/auth-service'
import { hashPassword } from '../../../src/auth/secrets'
import { AuthError, RateLimitError, UsageError } from '../../../src/core/errors'
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

  test('per user and address: after maxFailedLogins failures even the right password is refused from there', async () => {
    const u = await newUser()
    for (let i = 0; i < LIMITS.maxFailedLogins; i++) expect(await rejection(auth.checkPassword(u.username, 'wrong', '10.1.0.1'))).toBeInstanceOf(AuthError)
    const e = await rejection(auth.checkPassword(u.username, PASSWORD, '10.1.0.1'))
    expect(e).toBeInstanceOf(RateLimitError)
    expect((e as RateLimitError).status).toBe(429)
    expect(e.message).toContain('this user from this address')
    // Another user from the same address is not affected (a reverse proxy or NAT puts everyone behind one address),
    expect((await auth.checkPassword((await newUser()).username, PASSWORD, '10.1.0.1')).username).toStartWith('user')
    // nor is the same user from another address.
    expect((await auth.checkPassword(u.username, PASSWORD, '10.1.0.2')).id).toBe(u.id)
  })

  test('per user: failures from many addresses lock the user out everywhere at maxFailedLoginsPerUser (default 4 × maxFailedLogins)', async () => {
    const u = await newUser()
    const perUser = 4 * LIMITS.maxFailedLogins
    for (let i = 0; i < perUser; i++) expect(await rejection(auth.checkPassword(u.username, 'wrong', `10.4.${i}.1`))).toBeInstanceOf(AuthError)
    const e = await rejection(auth.checkPassword(u.username, PASSWORD, '10.4.200.1'))
    expect(e).toBeInstanceOf(RateLimitError)
    expect(e.message).toMatch(/for this user;/)
    // An explicit limit is honoured.
    const strict = new AuthService(store.repos, { ...LIMITS, maxFailedLoginsPerUser: 2 })
    const v = await newUser()
    for (const a of ['10.5.0.1', '10.5.0.2']) await strict.checkPassword(v.username, 'wrong', a).catch(() => {})
    expect(await rejection(strict.checkPassword(v.username, PASSWORD, '10.5.0.3'))).toBeInstanceOf(RateLimitError)
  })

  test('failures count under the stored user name, however it was typed', async () => {
    const u = await newUser()
    // SQLite matches names exactly, so another spelling is an unknown user there; MySQL may match it: either way the
    // failures of the real name are what count.
    for (let i = 0; i < LIMITS.maxFailedLogins; i++) await auth.checkPassword(u.username, 'wrong', '10.6.0.1').catch(() => {})
    expect(await rejection(auth.checkPassword(u.username, PASSWORD, '10.6.0.1'))).toBeInstanceOf(RateLimitError)
    const rows = await store.db.all<{ subject: string }>('SELECT DISTINCT subject FROM login_failures WHERE subject LIKE ?', [`%${u.username}`])
    expect(rows.map((r) => r.subject).sort()).toEqual([`pair:10.6.0.1 ${u.username}`, `user:${u.username}`])
  })

  test('per user: the limit lifts when the window has passed', async () => {
    const u = await newUser()
    for (let i = 0; i < LIMITS.maxFailedLogins; i++) await auth.checkPassword(u.username, 'wrong', '10.2.0.1').catch(() => {})
    expect(await rejection(auth.checkPassword(u.username, PASSWORD, '10.2.0.1'))).toBeInstanceOf(RateLimitError)
    setSystemTime(new Date(Date.now() + (LIMITS.failedLoginWindowSeconds + 1) * 1000))
    expect((await auth.checkPassword(u.username, PASSWORD, '10.2.0.1')).id).toBe(u.id)
  })

  test('per address: spraying many user names from one address blocks it at maxFailedLoginsPerAddress (default 10 × maxFailedLogins)', async () => {
    const perAddress = 10 * LIMITS.maxFailedLogins
    // Real users with cheap hashes (unknown names cost a production-strength decoy hash each).
    for (let i = 0; i < perAddress; i++) expect(await rejection(auth.checkPassword((await newUser()).username, 'wrong', '203.0.113.7'))).toBeInstanceOf(AuthError)
    const fresh = await newUser()
    const e = await rejection(auth.checkPassword(fresh.username, PASSWORD, '203.0.113.7'))
    expect(e).toBeInstanceOf(RateLimitError)
    expect(e.message).toMatch(/for this address;/)
    // The same user from another address is fine: the block is on the address.
    expect((await auth.checkPassword(fresh.username, PASSWORD, '203.0.113.8')).id).toBe(fresh.id)
  })

  test("a successful login resets the failures of that user from that address", async () => {
    const u = await newUser()
    for (let i = 0; i < LIMITS.maxFailedLogins - 1; i++) await auth.checkPassword(u.username, 'wrong', '10.3.0.1').catch(() => {})
    await auth.checkPassword(u.username, PASSWORD, '10.3.0.1')
    for (let i = 0; i < LIMITS.maxFailedLogins - 1; i++) await auth.checkPassword(u.username, 'wrong', '10.3.0.1').catch(() => {})
    expect((await auth.checkPassword(u.username, PASSWORD, '10.3.0.1')).id).toBe(u.id)
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

describe('token expiry', () => {
  test('a token with an expiry works until then and fails after it, saying it expired', async () => {
    const u = await newUser()
    const token = await auth.createToken(u, 'month', Date.now() + 30 * 86_400_000)
    expect((await auth.userForToken(token)).id).toBe(u.id)
    setSystemTime(new Date(Date.now() + 30 * 86_400_000 - 60_000))
    expect((await auth.userForToken(token)).id).toBe(u.id)
    setSystemTime(new Date(Date.now() + 120_000))
    const e = await rejection(auth.userForToken(token))
    expect(e).toBeInstanceOf(AuthError)
    expect(e.message).toContain('expired')
    // A wrong token is still just wrong: nothing about other tokens is told.
    expect((await rejection(auth.userForToken(`${token}x`))).message).toBe('wrong user name or token')
  })

  test('a token cannot be created already expired; without an expiry it never expires', async () => {
    const u = await newUser()
    expect(await rejection(auth.createToken(u, 'past', Date.now() - 1))).toBeInstanceOf(UsageError)
    const forever = await auth.createToken(u, 'forever')
    setSystemTime(new Date(Date.now() + 20 * 365 * 86_400_000))
    expect((await auth.userForToken(forever)).id).toBe(u.id)
  })
})

describe('listing and revoking credentials', () => {
  test("listTokens shows id, label, created, last used and expiry, never the token or its hash", async () => {
    const u = await newUser()
    const a = await auth.createToken(u, 'laptop')
    const expires = Date.now() + 3_600_000
    await auth.createToken(u, 'ci', expires)
    await auth.userForToken(a)
    const list = await auth.listTokens(u)
    expect(list.map((t) => t.name)).toEqual(['laptop', 'ci'])
    expect(list[0]!.lastUsedAt).toBeNumber()
    expect(list[1]!.lastUsedAt).toBeNull()
    expect(list[0]!.expiresAt).toBeNull()
    expect(list[1]!.expiresAt).toBe(expires)
    expect(Object.keys(list[0]!).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name'])
    expect(JSON.stringify(list)).not.toContain(a.slice(TOKEN_PREFIX.length))
    expect(JSON.stringify(list)).not.toContain(createHash('sha256').update(a).digest('hex'))
  })

  test('revokeToken ends one token by id and names its owner; an unknown id is undefined', async () => {
    const u = await newUser()
    const keep = await auth.createToken(u, 'keep')
    const drop = await auth.createToken(u, 'drop')
    const id = (await auth.listTokens(u)).find((t) => t.name === 'drop')!.id
    expect(await auth.revokeToken(id)).toEqual({ userId: u.id, name: 'drop' })
    expect(await rejection(auth.userForToken(drop))).toBeInstanceOf(AuthError)
    expect((await auth.userForToken(keep)).id).toBe(u.id)
    expect(await auth.revokeToken(id)).toBeUndefined()
  })

  test("setPassword ends the user's sessions, not other users'; endSessions and revokeTokens count what they ended", async () => {
    const u = await newUser()
    const other = await newUser()
    const s1 = await auth.openSession(u)
    const s2 = await auth.openSession(u)
    const theirs = await auth.openSession(other)
    const token = await auth.createToken(u, 'kept')
    await auth.setPassword(u, 'a new password 123')
    expect(await auth.session(s1.cookie)).toBeUndefined()
    expect(await auth.session(s2.cookie)).toBeUndefined()
    expect(await auth.session(theirs.cookie)).toBeDefined()
    expect((await auth.userForToken(token)).id).toBe(u.id)
    expect((await auth.checkPassword(u.username, 'a new password 123', '10.7.0.1')).id).toBe(u.id)
    await auth.openSession(u)
    expect(await auth.endSessions(u)).toBe(1)
    expect(await auth.revokeTokens(u)).toBe(1)
    expect(await rejection(auth.userForToken(token))).toBeInstanceOf(AuthError)
  })
})

describe('prune', () => {
  test('deletes expired sessions, failures older than the window and tokens expired for over 30 days; keeps the rest', async () => {
    const u = await newUser()
    const live = await auth.openSession(u)
    const t0 = Date.now()
    await store.repos.sessions.create('e'.repeat(64), u.id, 'c'.repeat(43), t0 - 1)
    await store.repos.loginFailures.record(['user:pruned-old'], t0 - (LIMITS.failedLoginWindowSeconds + 5) * 1000)
    await store.repos.loginFailures.record(['user:pruned-new'], t0 - 1000)
    await store.repos.tokens.create(u.id, '1'.repeat(64), 'long expired', t0 - EXPIRED_TOKENS_KEPT_MS - 1)
    await store.repos.tokens.create(u.id, '2'.repeat(64), 'just expired', t0 - 1)
    const n = await auth.prune(t0)
    expect(n.sessions).toBeGreaterThanOrEqual(1)
    expect(n.loginFailures).toBeGreaterThanOrEqual(1)
    expect(n.tokens).toBe(1)
    expect(await store.repos.sessions.find('e'.repeat(64))).toBeUndefined()
    expect(await auth.session(live.cookie)).toBeDefined()
    expect(await store.repos.loginFailures.countSince('user:pruned-old', 0)).toBe(0)
    expect(await store.repos.loginFailures.countSince('user:pruned-new', 0)).toBe(1)
    expect((await auth.listTokens(u)).map((t) => t.name)).toEqual(['just expired'])
  })
})
