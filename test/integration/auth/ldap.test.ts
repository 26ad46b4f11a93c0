import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { LdapDirectory } from '../../../src/auth/ldap-directory'
import { ldapConfRule } from '../../../src/config/ldap-conf'
import { ServiceError } from '../../../src/core/errors'
import { serviceOrSkip, titled } from '../../services/slurm'
import { GROUPS, LAB_GROUPS, LAB_USERS, PEOPLE, READER, labLdapBlock, startSlapd, type Slapd } from '../../services/slapd'
import { cliHome } from '../cli/cli-harness'
import { loginForm, postLogin, startApp, type Harness } from '../http/harness'

const up = await serviceOrSkip('slapd', () => startSlapd(LAB_USERS, LAB_GROUPS))

async function login(h: Harness, username: string, password: string): Promise<{ status: number; error?: string }> {
  const res = await postLogin(h, await loginForm(h), { username, password })
  const html = res.status === 303 ? '' : await res.text()
  const error = html.match(/role="alert">([^<]*)</)?.[1]?.replace(/&#x([0-9A-F]+);/gi, (_, x: string) => String.fromCharCode(parseInt(x, 16)))
  return { status: res.status, error }
}

describe.skipIf(!up.handle)(titled('LDAP login against a real OpenLDAP', up.skip), () => {
  const slapd = up.handle as Slapd
  let h: Harness

  beforeAll(async () => {
    h = await startApp('sqlite', labLdapBlock(slapd.url))
    await h.services.repos.projects.create('LAB')
    await h.user('localadmin', 'local-admin-pw', { siteAdmin: true })
  }, 60_000)
  afterAll(async () => {
    await h?.close()
    await slapd?.stop()
  })

  const rightsOf = async (name: string) => {
    const u = (await h.services.repos.users.byUsername(name))!
    return { user: u, rights: await h.services.repos.rights.forUser(u.id) }
  }

  test('a directory user signs in: created with source ldap, no local password, name and mail from the directory', async () => {
    expect(await h.services.repos.users.byUsername('alice')).toBeUndefined()
    expect((await login(h, 'alice', 'alice-pw-1')).status).toBe(303)
    const { user } = await rightsOf('alice')
    expect(user).toMatchObject({ source: 'ldap', displayName: 'Alice Liddell', email: 'alice@example.org', disabled: false })
    expect(await h.services.repos.users.passwordHash(user.id)).toBeNull()
  }, 30_000)

  test('group mapping: admins -> site admin, lab -> write, readers -> read (the highest wins)', async () => {
    expect((await rightsOf('alice')).user.isSiteAdmin).toBe(true)
    expect((await rightsOf('alice')).rights).toEqual([{ project: 'LAB', role: 'write' }])
    expect((await login(h, 'bob', 'bob-pw-22')).status).toBe(303)
    expect(await rightsOf('bob')).toMatchObject({ user: { isSiteAdmin: false }, rights: [{ project: 'LAB', role: 'write' }] })
    expect((await login(h, 'carol', 'carol-pw-3')).status).toBe(303)
    expect(await rightsOf('carol')).toMatchObject({ user: { isSiteAdmin: false }, rights: [{ project: 'LAB', role: 'read' }] })
  }, 30_000)

  test('name and mail changed in the directory reach nora at the next login', async () => {
    expect((await rightsOf('carol')).user).toMatchObject({ displayName: 'Carol Danvers', email: 'carol@example.org' })
    slapd.modify(`dn: uid=carol,${PEOPLE}\nchangetype: modify\nreplace: cn\ncn: Carol Susan Danvers\n-\nreplace: mail\nmail: danvers@example.org\n`)
    expect((await login(h, 'carol', 'carol-pw-3')).status).toBe(303)
    expect((await rightsOf('carol')).user).toMatchObject({ displayName: 'Carol Susan Danvers', email: 'danvers@example.org' })
  }, 30_000)

  test('the mapping is applied on every login: leaving a group takes its grant away', async () => {
    slapd.modify(`dn: cn=admins,${GROUPS}\nchangetype: modify\nadd: member\nmember: uid=carol,${PEOPLE}\n-\ndelete: member\nmember: uid=alice,${PEOPLE}\n`)
    slapd.modify(`dn: cn=lab,${GROUPS}\nchangetype: modify\ndelete: member\nmember: uid=alice,${PEOPLE}\n`)
    expect((await login(h, 'alice', 'alice-pw-1')).status).toBe(303)
    expect(await rightsOf('alice')).toMatchObject({ user: { isSiteAdmin: false }, rights: [] })
    expect((await login(h, 'carol', 'carol-pw-3')).status).toBe(303)
    expect((await rightsOf('carol')).user.isSiteAdmin).toBe(true)
  }, 30_000)

  test('a wrong password is 401 with the same message as an unknown user; an empty password never binds', async () => {
    const wrong = await login(h, 'bob', 'not-bobs-password')
    const unknown = await login(h, 'nobody-here', 'whatever-pw')
    expect(wrong.status).toBe(401)
    expect(unknown).toEqual(wrong)
    expect(wrong.error).toBe('wrong user name or password')
    // The trap: an empty password is an unauthenticated bind, which slapd accepts (ldapwhoami says anonymous).
    const trap = Bun.spawnSync(['ldapwhoami', '-x', '-H', slapd.url, '-D', `uid=bob,${PEOPLE}`, '-w', ''], { stdout: 'pipe', stderr: 'pipe' })
    expect(trap.exitCode).toBe(0)
    expect(trap.stdout.toString().trim()).toBe('anonymous')
    expect(await login(h, 'bob', '')).toEqual(wrong)
  }, 30_000)

  test('a disabled directory user stays refused though the directory accepts the password', async () => {
    const bob = (await h.services.repos.users.byUsername('bob'))!
    await h.services.repos.users.setDisabled(bob.id, true)
    expect((await login(h, 'bob', 'bob-pw-22')).status).toBe(401)
    await h.services.repos.users.setDisabled(bob.id, false)
    expect((await login(h, 'bob', 'bob-pw-22')).status).toBe(303)
  }, 30_000)

  test('a local account keeps its local password; the directory cannot sign in as it', async () => {
    await h.user('dave', 'dave-local-pw')
    expect((await login(h, 'dave', 'dave-dir-4')).status).toBe(401)
    expect((await login(h, 'dave', 'dave-local-pw')).status).toBe(303)
    expect((await h.services.repos.users.byUsername('dave'))!.source).toBe('local')
  }, 30_000)

  test('injection in the user name matches nobody: search filter and bind DN (escaped, asked of the real server)', async () => {
    for (const name of ['*)(uid=*', '*', 'alice)(|(uid=*', 'bob*']) expect((await login(h, name, 'bob-pw-22')).status).toBe(401)
    const conf = (extra: object) => ldapConfRule.parse({ url: slapd.url, timeoutMs: 3000, ...extra }, 'auth.ldap')
    const search = new LdapDirectory(conf({ bindDn: READER.dn, bindPassword: READER.password, searchBase: PEOPLE }))
    const bind = new LdapDirectory(conf({ bindDn: `uid={user},${PEOPLE}` }))
    for (const dir of [search, bind]) {
      expect((await dir.authenticate('bob', 'bob-pw-22'))?.dn).toBe(`uid=bob,${PEOPLE}`)
      for (const name of ['*)(uid=*', '*', 'bob)(uid=*', 'bob,ou=people', 'x,uid=bob', 'bob\0']) expect(await dir.authenticate(name, 'bob-pw-22')).toBeUndefined()
    }
    // A typed DN-ish name ends up as one escaped value, e.g. uid=bob\,ou\=people,...: no such entry.
    expect(await bind.authenticate('bob', '')).toBeUndefined()
  }, 30_000)

  test('a directory that accepts connections but never answers times out with the clear message', async () => {
    const silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    try {
      const dir = new LdapDirectory(ldapConfRule.parse({ url: `ldap://127.0.0.1:${silent.port}`, bindDn: `uid={user},${PEOPLE}`, timeoutMs: 500 }, 'auth.ldap'))
      const t0 = Date.now()
      const e = await dir.authenticate('bob', 'bob-pw-22').then(() => undefined, (x: unknown) => x)
      expect(e).toBeInstanceOf(ServiceError)
      expect((e as Error).message).toStartWith(`the directory at ldap://127.0.0.1:${silent.port} does not answer`)
      expect(Date.now() - t0).toBeLessThan(10_000)
    } finally {
      silent.stop(true)
    }
  }, 30_000)

  test('nora test ldap USER binds as the user and prints the entry, its groups and what the map gives', async () => {
    const cli = await cliHome('sqlite', { extra: labLdapBlock(slapd.url) })
    try {
      const ok = await cli.nora(['test', 'ldap', 'bob'], { NORA_LDAP_PASSWORD: 'bob-pw-22' })
      expect(ok.code).toBe(0)
      expect(ok.stdout).toContain(`ldap   OK   ${slapd.url} answers (no TLS); searches ${PEOPLE} as ${READER.dn}`)
      expect(ok.stdout).toContain(`bob: uid=bob,${PEOPLE}, nora user "bob", name "Bob Marley", mail bob@example.org`)
      expect(ok.stdout).toContain(`groups: cn=lab,${GROUPS}; cn=readers,${GROUPS}`)
      expect(ok.stdout).toContain('groupMap gives: site admin no; LAB=write')
      const wrong = await cli.nora(['test', 'ldap', 'bob'], { NORA_LDAP_PASSWORD: 'nope-nope' })
      expect(wrong.code).toBe(1)
      expect(wrong.stdout).toContain('ldap   FAIL')
      expect(wrong.stdout).toContain('refused bob')
    } finally {
      await cli.close()
    }
  }, 180_000)

  test('LDAP stopped: a directory user gets "does not answer; local accounts still work" (503), a local admin signs in', async () => {
    await slapd.stop()
    const down = await login(h, 'alice', 'alice-pw-1')
    expect(down.status).toBe(503)
    expect(down.error).toMatch(new RegExp(`^the directory at ldap://127\\.0\\.0\\.1:${slapd.port} does not answer \\(.*ECONNREFUSED.*\\); local accounts still work$`))
    expect((await login(h, 'localadmin', 'local-admin-pw')).status).toBe(303)
  }, 30_000)
})
