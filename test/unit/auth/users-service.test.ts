import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AuthService } from '../../../src/auth/auth-service'
import { UsersService } from '../../../src/auth/users-service'
import { ConflictError, NotFoundError, UsageError } from '../../../src/core/errors'
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
