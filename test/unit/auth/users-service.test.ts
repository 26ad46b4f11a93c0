import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AuthService } from '../../../src/auth/auth-service'
import { UsersService } from '../../../src/auth/users-service'
import { AuthError, ConflictError, NotFoundError, UsageError } from '../../../src/core/errors'
import { tempStore } from './temp-store'

let store: Awaited<ReturnType<typeof tempStore>>
let users: UsersService
let auth: AuthService

beforeAll(async () => {
  store = await tempStore()
  users = new UsersService(store.repos)
  auth = new AuthService(store.repos, { sessionHours: 1, maxFailedLogins: 5, failedLoginWindowSeconds: 60 })
})
afterAll(async () => {
  await store.close()
})

describe('ensureInitialAdmin', () => {
  let password: string | undefined

  test('on an empty store creates the site admin "admin" with a random password, once', async () => {
    password = await users.ensureInitialAdmin()
    expect(password).toBeString()
    expect(password!.length).toBeGreaterThanOrEqual(16)
    const admin = await store.repos.users.byUsername('admin')
    expect(admin?.isSiteAdmin).toBe(true)
    expect(await users.ensureInitialAdmin()).toBeUndefined()
    expect(await store.repos.users.count()).toBe(1)
    // The printed password signs in.
    expect((await auth.checkPassword('admin', password!, '127.0.0.1')).username).toBe('admin')
  })

  test('the password is not stored in clear anywhere in the database files', async () => {
    expect(password).toBeString()
    await store.db.run('PRAGMA wal_checkpoint(FULL)')
    const needle = Buffer.from(password!)
    const files = readdirSync(store.dir).filter((f) => f.startsWith('nora.db'))
    expect(files).toContain('nora.db')
    for (const f of files) expect(readFileSync(join(store.dir, f)).includes(needle)).toBe(false)
    const hash = await store.repos.users.passwordHash((await store.repos.users.byUsername('admin'))!.id)
    expect(hash).toStartWith('$argon2id$')
    // The check itself can see a needle: the hash is in the file.
    expect(readFileSync(store.path).includes(Buffer.from(hash!))).toBe(true)
  })

  test('two first starts get different passwords', async () => {
    const other = await tempStore()
    try {
      const second = await new UsersService(other.repos).ensureInitialAdmin()
      expect(second).toBeString()
      expect(second).not.toBe(password)
    } finally {
      await other.close()
    }
  })
})

describe('add, grant, revoke', () => {
  test('user names and passwords are checked, duplicates refused', async () => {
    await expect(users.add('bad name')).rejects.toThrow(UsageError)
    await expect(users.add('../etc')).rejects.toThrow(UsageError)
    await expect(users.add('shorty', { password: 'short' })).rejects.toThrow(/at least 8/)
    expect(await store.repos.users.byUsername('shorty')).toBeUndefined()
    await expect(users.add('admin')).rejects.toThrow(ConflictError)
  })

  test('grant checks the role, the user and the project', async () => {
    await store.repos.projects.create('p1')
    await store.repos.users.create({ username: 'bob', passwordHash: null })
    await expect(users.grant('bob', 'p1', 'owner')).rejects.toThrow(UsageError)
    await expect(users.grant('nobody', 'p1', 'read')).rejects.toThrow(NotFoundError)
    await expect(users.grant('bob', 'nope', 'read')).rejects.toThrow(NotFoundError)
    await users.grant('bob', 'p1', 'write')
    expect(await users.rightsOf((await store.repos.users.byUsername('bob'))!)).toEqual([{ project: 'p1', role: 'write' }])
    expect(await users.revoke('bob', 'p1')).toBe(true)
    expect(await users.revoke('bob', 'p1')).toBe(false)
  })
})

describe('password changes and disabled users end credentials', () => {
  test("passwd ends the user's sessions and keeps their tokens; with revokeTokens the tokens go too", async () => {
    const { user } = await users.add('erin', { password: 'erin-first-pw' })
    const s = await auth.openSession(user)
    const token = await auth.createToken(user, 'script')
    const r = await users.setPassword('erin', 'erin-second-pw')
    expect(r).toEqual({ password: 'erin-second-pw', sessions: 1, tokens: 0 })
    expect(await auth.session(s.cookie)).toBeUndefined()
    expect((await auth.userForToken(token)).id).toBe(user.id)
    await expect(auth.checkPassword('erin', 'erin-first-pw', '10.8.0.1')).rejects.toThrow(AuthError)
    expect((await auth.checkPassword('erin', 'erin-second-pw', '10.8.0.1')).id).toBe(user.id)

    const s2 = await auth.openSession(user)
    const generated = await users.setPassword('erin', undefined, { revokeTokens: true })
    expect(generated.password.length).toBeGreaterThanOrEqual(16)
    expect([generated.sessions, generated.tokens]).toEqual([1, 1])
    expect(await auth.session(s2.cookie)).toBeUndefined()
    await expect(auth.userForToken(token)).rejects.toThrow(AuthError)
    // A refused password changes nothing and ends nothing.
    const s3 = await auth.openSession(user)
    await expect(users.setPassword('erin', 'short')).rejects.toThrow(UsageError)
    expect(await auth.session(s3.cookie)).toBeDefined()
  })

  test('disable stops sign-in, sessions and tokens at once; enable restores sign-in and tokens, not the old sessions', async () => {
    const { user } = await users.add('fred', { password: 'fred-password' })
    const s = await auth.openSession(user)
    const token = await auth.createToken(user, 'script')
    const r = await users.disable('fred')
    expect([r.sessions, r.tokens]).toEqual([1, 0])
    expect((await store.repos.users.byUsername('fred'))!.disabled).toBe(true)
    expect(await auth.session(s.cookie)).toBeUndefined()
    await expect(auth.userForToken(token)).rejects.toThrow(AuthError)
    await expect(auth.checkPassword('fred', 'fred-password', '10.8.1.1')).rejects.toThrow(AuthError)

    await users.enable('fred')
    expect((await auth.checkPassword('fred', 'fred-password', '10.8.1.2')).id).toBe(user.id)
    expect((await auth.userForToken(token)).id).toBe(user.id)
    expect(await auth.session(s.cookie)).toBeUndefined()

    const gone = await users.disable('fred', { revokeTokens: true })
    expect(gone.tokens).toBe(1)
    await users.enable('fred')
    await expect(auth.userForToken(token)).rejects.toThrow(AuthError)
    await expect(users.disable('nobody')).rejects.toThrow(NotFoundError)
  })
})
