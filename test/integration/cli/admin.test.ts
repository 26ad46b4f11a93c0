import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cliHome, DIALECTS, lines, loginWorks, ok, postLogin, type CliHome, spawns } from './cli-harness'

// `nora --admin ...` through the binary, checked against the running server: passwords sign in, tokens authenticate.
for (const dialect of DIALECTS) {
  describe(`nora --admin (${dialect})`, () => {
    let h: CliHome
    let adminPassword: string

    beforeAll(async () => {
      h = await cliHome(dialect)
      const init = await h.init()
      ok(init.result)
      adminPassword = init.password!
      await h.start()
      ok(await h.nora(['-c', 'Alpha']))
      ok(await h.nora(['-c', 'Beta']))
    }, spawns(6))
    afterAll(async () => {
      await h?.close()
    }, spawns(2))

    const projectsWith = (token: string) => fetch(new URL('api/projects', h.url), { headers: { authorization: `Bearer ${token}` } })

    test('adduser prints a password once that signs in; --site-admin --password sets both', async () => {
      const r = ok(await h.nora(['--admin', 'adduser', 'carol']))
      expect(r.stdout).toContain('added user "carol"')
      const pw = r.stdout.match(/^password: (\S+)$/m)?.[1]
      expect(pw).toBeDefined()
      expect(await loginWorks(h.url, 'carol', pw!)).toBe(true)

      const boss = ok(await h.nora(['--admin', 'adduser', 'dana', '--site-admin', '--password', 'dana-secret-42']))
      expect(boss.stdout).toContain('(site admin)')
      expect(boss.stdout).not.toContain('dana-secret-42')
      expect(await loginWorks(h.url, 'dana', 'dana-secret-42')).toBe(true)

      const dup = await h.nora(['--admin', 'adduser', 'carol'])
      expect(dup.code).not.toBe(0)
      expect(dup.stderr).toContain('carol')
    }, spawns(4))

    test('users lists users with their rights; grant and revoke change them', async () => {
      ok(await h.nora(['--admin', 'grant', 'carol', 'Alpha', 'write']))
      let users = lines(ok(await h.nora(['--admin', 'users'])))
      expect(users).toContain('admin [site admin]')
      expect(users).toContain('dana [site admin]')
      expect(users).toContain('carol  Alpha:write')

      const bad = await h.nora(['--admin', 'grant', 'carol', 'Alpha', 'owner'])
      expect(bad.code).not.toBe(0)
      const noProject = await h.nora(['--admin', 'grant', 'carol', 'Gamma', 'read'])
      expect(noProject.code).not.toBe(0)
      expect(noProject.stderr).toContain('Gamma')

      expect(ok(await h.nora(['--admin', 'revoke', 'carol', 'Alpha'])).stdout).toContain('revoked "carol" from "Alpha"')
      users = lines(ok(await h.nora(['--admin', 'users'])))
      expect(users).toContain('carol')
      expect(ok(await h.nora(['--admin', 'revoke', 'carol', 'Alpha'])).stdout).toContain('had no rights')
    }, spawns(7))

    test('passwd replaces the password: the old one stops working, the new one works', async () => {
      const r = ok(await h.nora(['--admin', 'passwd', 'carol']))
      const pw = r.stdout.match(/^password: (\S+)$/m)?.[1]
      expect(pw).toBeDefined()
      expect(await loginWorks(h.url, 'carol', pw!)).toBe(true)
      ok(await h.nora(['--admin', 'passwd', 'carol', '--password', 'carol-chosen-7']))
      expect(await loginWorks(h.url, 'carol', pw!)).toBe(false)
      expect(await loginWorks(h.url, 'carol', 'carol-chosen-7')).toBe(true)
      // The admin's password from init is untouched by all this.
      expect(await loginWorks(h.url, 'admin', adminPassword)).toBe(true)
    }, spawns(3))

    test('a token printed by --admin token authenticates GET /api/projects (Bearer), with that user\'s rights', async () => {
      const adminToken = ok(await h.nora(['--admin', 'token', 'admin'])).stdout.trim()
      expect(adminToken).toMatch(/^nora_\S+$/)
      const all = await projectsWith(adminToken)
      expect(all.status).toBe(200)
      expect(((await all.json()) as { name: string }[]).map((p) => p.name).sort()).toEqual(['Alpha', 'Beta'])

      ok(await h.nora(['--admin', 'grant', 'carol', 'Beta', 'read']))
      const carolToken = ok(await h.nora(['--admin', 'token', 'carol', '--name', 'script'])).stdout.trim()
      const mine = await projectsWith(carolToken)
      expect(mine.status).toBe(200)
      expect(((await mine.json()) as { name: string }[]).map((p) => p.name)).toEqual(['Beta'])

      expect((await projectsWith(`${adminToken}x`)).status).toBe(401)
      expect((await fetch(new URL('api/projects', h.url))).status).toBe(401)
    }, spawns(3))

    test('projects lists projects; migrate says the database is up to date', async () => {
      expect(lines(ok(await h.nora(['--admin', 'projects']))).sort()).toEqual(['Alpha', 'Beta'])
      expect(ok(await h.nora(['--admin', 'migrate'])).stdout.trim()).toBe('database is up to date')
    }, spawns(2))

    test('--admin is refused to a user who is no site admin; unknown admin commands are usage errors', async () => {
      const r = await h.nora(['--admin', 'users'], { NORA_USER: 'carol' })
      expect(r.code).not.toBe(0)
      expect(r.stderr).toContain('site admins')
      const t = await h.nora(['--admin', 'token', 'admin'], { NORA_USER: 'carol' })
      expect(t.code).not.toBe(0)
      expect(t.stdout).toBe('')
      // dana is a site admin: the same command works as her.
      ok(await h.nora(['--admin', 'users'], { NORA_USER: 'dana' }))

      const u = await h.nora(['--admin', 'frobnicate'])
      expect(u.code).toBe(2)
      expect(u.stderr).toContain('unknown admin command "frobnicate"')
      const missing = await h.nora(['--admin', 'grant', 'carol'])
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain('usage: nora --admin grant')
    }, spawns(5))

    /** A session cookie from the real login form, or undefined when the login is refused. */
    const signIn = async (user: string, password: string) => {
      const res = await postLogin(h.url, user, password)
      await res.arrayBuffer()
      return res.headers.getSetCookie().find((c) => /^nora_session=[^;]+/.test(c))?.split(';')[0]
    }
    const withCookie = (cookie: string) => fetch(new URL('api/projects', h.url), { headers: { cookie } })

    test('passwd ends the user\'s sessions at once and keeps their tokens; --revoke-tokens ends the tokens too', async () => {
      ok(await h.nora(['--admin', 'adduser', 'gina', '--password', 'gina-password-1']))
      ok(await h.nora(['--admin', 'grant', 'gina', 'Alpha', 'read']))
      const cookie = (await signIn('gina', 'gina-password-1'))!
      expect((await withCookie(cookie)).status).toBe(200)
      const token = ok(await h.nora(['--admin', 'token', 'gina', '--name', 'nightly'])).stdout.trim()
      expect((await projectsWith(token)).status).toBe(200)

      expect(ok(await h.nora(['--admin', 'passwd', 'gina', '--password', 'gina-password-2'])).stdout).toContain('1 session ended')
      expect((await withCookie(cookie)).status).toBe(401)
      expect((await projectsWith(token)).status).toBe(200)

      const second = (await signIn('gina', 'gina-password-2'))!
      expect((await withCookie(second)).status).toBe(200)
      const r = ok(await h.nora(['--admin', 'passwd', 'gina', '--password', 'gina-password-3', '--revoke-tokens']))
      expect(r.stdout).toContain('1 session ended, 1 API token revoked')
      expect((await withCookie(second)).status).toBe(401)
      expect((await projectsWith(token)).status).toBe(401)
      expect(await signIn('gina', 'gina-password-3')).toBeDefined()
    }, spawns(5))

    test('tokens lists id, label, created, last used and expiry, never the token; revoke-token deletes one by id', async () => {
      const laptop = ok(await h.nora(['--admin', 'token', 'gina', '--name', 'laptop'])).stdout.trim()
      const ci = ok(await h.nora(['--admin', 'token', 'gina', '--name', 'ci', '--expires', '30d'])).stdout.trim()
      expect((await projectsWith(laptop)).status).toBe(200)

      const listed = JSON.parse(ok(await h.nora(['--admin', 'tokens', 'gina', '--json'])).stdout) as {
        id: number
        name: string
        createdAt: number
        lastUsedAt: number | null
        expiresAt: number | null
        expired: boolean
      }[]
      expect(listed.map((t) => t.name)).toEqual(['laptop', 'ci'])
      const [l, c] = listed as [(typeof listed)[0], (typeof listed)[0]]
      expect(l.lastUsedAt).toBeNumber()
      expect(l.expiresAt).toBeNull()
      expect(c.lastUsedAt).toBeNull()
      expect(Math.abs(c.expiresAt! - (c.createdAt + 30 * 86_400_000))).toBeLessThan(60_000)
      expect(c.expired).toBe(false)

      const table = ok(await h.nora(['--admin', 'tokens', 'gina']))
      const rows = lines(table)
      expect(rows[0]).toBe('ID\tLABEL\tCREATED (UTC)\tLAST USED\tEXPIRES')
      expect(rows[1]).toMatch(new RegExp(`^${l.id}\tlaptop\t\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\t\\d{4}-.*\tnever$`))
      expect(rows[2]).toMatch(new RegExp(`^${c.id}\tci\t.*\tnever\t${new Date(c.expiresAt!).toISOString().slice(0, 10)}`))
      for (const secret of [laptop, ci]) expect(table.stdout + table.stderr).not.toContain(secret.slice('nora_'.length, 20))

      expect(ok(await h.nora(['--admin', 'revoke-token', String(l.id)])).stdout.trim()).toBe(`revoked token ${l.id} ("laptop") of "gina"`)
      expect((await projectsWith(laptop)).status).toBe(401)
      expect((await projectsWith(ci)).status).toBe(200)
      const again = await h.nora(['--admin', 'revoke-token', String(l.id)])
      expect(again.code).toBe(1)
      expect(again.stderr).toContain(`no API token ${l.id}`)
      expect((await h.nora(['--admin', 'revoke-token', 'laptop'])).code).toBe(2)

      const badExpiry = await h.nora(['--admin', 'token', 'gina', '--expires', '30x'])
      expect(badExpiry.code).toBe(2)
      expect(badExpiry.stderr).toContain('--expires "30x"')
      expect(badExpiry.stdout).toBe('')
      expect(ok(await h.nora(['--admin', 'tokens', 'dana'])).stdout.trim()).toBe('"dana" has no API tokens')
    }, spawns(10))

    test('an expired token is refused with a reason; tokens marks it expired', async () => {
      const t = ok(await h.nora(['--admin', 'token', 'gina', '--name', 'short', '--expires', '1m'])).stdout.trim()
      expect((await projectsWith(t)).status).toBe(200)
      // A minute is long for a test: move the expiry into the past in the database, as time would.
      ok(await h.nora(['--sql', `UPDATE api_tokens SET expires_at = ${Date.now() - 1000} WHERE name = 'short'`, '--write']))
      const res = await projectsWith(t)
      expect(res.status).toBe(401)
      expect(((await res.json()) as { error: string }).error).toContain('expired')
      expect(lines(ok(await h.nora(['--admin', 'tokens', 'gina']))).find((r) => r.includes('\tshort\t'))).toContain('\texpired ')
    }, spawns(4))

    test('disable ends sessions and tokens at once; enable restores sign-in and the tokens, not the sessions', async () => {
      const cookie = (await signIn('gina', 'gina-password-3'))!
      const token = ok(await h.nora(['--admin', 'token', 'gina', '--name', 'kept'])).stdout.trim()
      expect((await withCookie(cookie)).status).toBe(200)
      expect(ok(await h.nora(['--admin', 'disable', 'gina'])).stdout).toMatch(/^disabled "gina"; [1-9]\d* sessions? ended \(its API tokens work again after enable\)$/m)
      expect(lines(ok(await h.nora(['--admin', 'users'])))).toContain('gina [disabled]  Alpha:read')
      expect((await withCookie(cookie)).status).toBe(401)
      expect((await projectsWith(token)).status).toBe(401)
      expect(await signIn('gina', 'gina-password-3')).toBeUndefined()

      expect(ok(await h.nora(['--admin', 'enable', 'gina'])).stdout.trim()).toBe('enabled "gina"')
      expect((await withCookie(cookie)).status).toBe(401)
      expect((await projectsWith(token)).status).toBe(200)
      expect(await signIn('gina', 'gina-password-3')).toBeDefined()

      expect(ok(await h.nora(['--admin', 'disable', 'gina', '--revoke-tokens'])).stdout).toMatch(/API tokens? revoked/)
      ok(await h.nora(['--admin', 'enable', 'gina']))
      expect((await projectsWith(token)).status).toBe(401)
      expect(lines(ok(await h.nora(['--admin', 'tokens', 'gina']))).join('\n')).toContain('has no API tokens')

      // A site admin cannot disable itself (another one, or the console, can).
      const self = await h.nora(['--admin', 'disable', 'dana'], { NORA_USER: 'dana' })
      expect(self.code).toBe(2)
      expect(self.stderr).toContain('cannot disable itself')
      expect((await h.nora(['--admin', 'disable', 'nobody'])).stderr).toContain('no user "nobody"')
    }, spawns(12))
  })
}
