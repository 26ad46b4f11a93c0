import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cliHome, DIALECTS, lines, loginWorks, ok, type CliHome } from './cli-harness'

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
    })
    afterAll(async () => {
      await h?.close()
    })

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
    })

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
    })

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
    })

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
    })

    test('projects lists projects; migrate says the database is up to date', async () => {
      expect(lines(ok(await h.nora(['--admin', 'projects']))).sort()).toEqual(['Alpha', 'Beta'])
      expect(ok(await h.nora(['--admin', 'migrate'])).stdout.trim()).toBe('database is up to date')
    })

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
    })
  })
}
