import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../helpers/home'

const SLAPD = process.env.NORA_TEST_SLAPD ?? '/usr/sbin/slapd'
export const SUFFIX = 'dc=example,dc=org'
export const PEOPLE = `ou=people,${SUFFIX}`
export const GROUPS = `ou=groups,${SUFFIX}`
/** The service account that may search (search-then-bind). */
export const READER = { dn: `cn=reader,${SUFFIX}`, password: 'reader-secret-1' }
/** The directory's root account, for ldapmodify in tests (group changes while slapd runs). */
export const ROOT = { dn: `cn=admin,${SUFFIX}`, password: 'root-secret-1' }

export interface DirectoryUser {
  uid: string
  password: string
  cn: string
  mail: string
}

export interface Slapd {
  url: string
  port: number
  dir: string
  pid: number
  /** ldapmodify as the root account (LDIF on stdin); throws with its message when it fails. */
  modify(ldif: string): void
  /** True while slapd runs. */
  running(): boolean
  stop(): Promise<void>
}

/** slappasswd's {SSHA} hash: the directory checks passwords itself, nora never sees how. */
function ssha(password: string): string {
  const r = Bun.spawnSync(['/usr/sbin/slappasswd', '-s', password], { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`slappasswd failed: ${r.stderr.toString()}`)
  return r.stdout.toString().trim()
}

/**
 * A private OpenLDAP (Debian slapd; no debconf, no system config) in a temp dir on a free loopback port: a generated
 * slapd.conf (mdb database, suffix dc=example,dc=org), the directory loaded with slapadd (ou=people with `users`,
 * ou=groups as groupOfNames with their members, cn=reader as service account), stopped by its pid. Throws saying
 * why when slapd is not installed or does not come up.
 */
export async function startSlapd(users: DirectoryUser[], groups: Record<string, string[]>): Promise<Slapd> {
  if (!existsSync(SLAPD)) throw new Error(`slapd is not installed at ${SLAPD} (apt-get install slapd ldap-utils; test/run.sh does)`)
  const dir = mkdtempSync(join(tmpdir(), 'nora-slapd-'))
  mkdirSync(join(dir, 'db'))
  const port = freePort()
  const conf = join(dir, 'slapd.conf')
  writeFileSync(
    conf,
    [
      ...['core', 'cosine', 'nis', 'inetorgperson'].map((s) => `include /etc/ldap/schema/${s}.schema`),
      `pidfile ${join(dir, 'slapd.pid')}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      // As Active Directory does: a DN with an empty password is an unauthenticated bind, and succeeds (RFC 4513 5.1.2).
      'allow bind_anon_dn',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'database mdb',
      'maxsize 10485760',
      `suffix "${SUFFIX}"`,
      `rootdn "${ROOT.dn}"`,
      `rootpw ${ssha(ROOT.password)}`,
      `directory ${join(dir, 'db')}`,
      'access to attrs=userPassword by self read by anonymous auth by * none',
      'access to * by * read',
      '',
    ].join('\n'),
  )
  const entry = (dn: string, lines: string[]) => [`dn: ${dn}`, ...lines, ''].join('\n')
  const ldif = [
    entry(SUFFIX, ['objectClass: dcObject', 'objectClass: organization', 'dc: example', 'o: Example Lab']),
    entry(PEOPLE, ['objectClass: organizationalUnit', 'ou: people']),
    entry(GROUPS, ['objectClass: organizationalUnit', 'ou: groups']),
    entry(READER.dn, ['objectClass: organizationalRole', 'objectClass: simpleSecurityObject', 'cn: reader', `userPassword: ${ssha(READER.password)}`]),
    ...users.map((u) =>
      entry(`uid=${u.uid},${PEOPLE}`, ['objectClass: inetOrgPerson', `uid: ${u.uid}`, `cn: ${u.cn}`, `sn: ${u.cn.split(' ').pop()}`, `mail: ${u.mail}`, `userPassword: ${ssha(u.password)}`]),
    ),
    ...Object.entries(groups).map(([cn, members]) => entry(`cn=${cn},${GROUPS}`, ['objectClass: groupOfNames', `cn: ${cn}`, ...members.map((m) => `member: uid=${m},${PEOPLE}`)])),
  ].join('\n')
  writeFileSync(join(dir, 'data.ldif'), ldif)
  const add = Bun.spawnSync(['/usr/sbin/slapadd', '-f', conf, '-l', join(dir, 'data.ldif')], { stdout: 'pipe', stderr: 'pipe' })
  if (add.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`slapadd failed: ${add.stderr.toString().slice(-1500)}`)
  }
  const url = `ldap://127.0.0.1:${port}`
  const log = join(dir, 'slapd.log')
  // -d keeps slapd in the foreground, so that the pid is this child's and stop() can end it.
  const proc = Bun.spawn([SLAPD, '-f', conf, '-h', `${url}/`, '-d', 'none'], { stdout: Bun.file(log), stderr: Bun.file(log), cwd: dir })
  let stopped = false
  const stop = async () => {
    if (!stopped) {
      stopped = true
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await proc.exited
      clearTimeout(timer)
    }
  }
  const deadline = Date.now() + 30_000
  for (;;) {
    const r = Bun.spawnSync(['ldapsearch', '-x', '-H', url, '-b', SUFFIX, '-s', 'base', 'dn'], { stdout: 'pipe', stderr: 'pipe', timeout: 5000 })
    if (r.exitCode === 0) break
    if (proc.exitCode !== null || Date.now() > deadline) {
      const why = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : r.stderr.toString()
      await stop()
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`slapd did not start on ${url}:\n${why}`)
    }
    await Bun.sleep(100)
  }
  return {
    url,
    port,
    dir,
    pid: proc.pid,
    modify(change: string) {
      const r = Bun.spawnSync(['ldapmodify', '-x', '-H', url, '-D', ROOT.dn, '-w', ROOT.password], { stdin: Buffer.from(change), stdout: 'pipe', stderr: 'pipe', timeout: 10_000 })
      if (r.exitCode !== 0) throw new Error(`ldapmodify failed: ${r.stderr.toString()}`)
    },
    running: () => !stopped && proc.exitCode === null,
    async stop() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The lab's directory used by the LDAP tests: four people and three groups. */
export const LAB_USERS: DirectoryUser[] = [
  { uid: 'alice', password: 'alice-pw-1', cn: 'Alice Liddell', mail: 'alice@example.org' },
  { uid: 'bob', password: 'bob-pw-22', cn: 'Bob Marley', mail: 'bob@example.org' },
  { uid: 'carol', password: 'carol-pw-3', cn: 'Carol Danvers', mail: 'carol@example.org' },
  { uid: 'dave', password: 'dave-dir-4', cn: 'Dave Dir', mail: 'dave@example.org' },
]
export const LAB_GROUPS = { admins: ['alice'], lab: ['alice', 'bob'], readers: ['bob', 'carol'] }

/** auth.ldap for main.conf: search-then-bind with the reader account, groups searched, the lab's mapping (DNs spelled loosely on purpose). */
export const labLdapBlock = (url: string) =>
  `auth: { ldap: { url: "${url}", bindDn: "${READER.dn}", bindPassword: "${READER.password}", searchBase: "${PEOPLE}", groupSearchBase: "${GROUPS}", timeoutMs: 3000,
    groupMap: { "cn=admins,${GROUPS}": { siteAdmin: true }, "cn=lab, ${GROUPS}": { projects: { LAB: "write" } }, "CN=readers,${GROUPS}": { projects: { LAB: "read" } } } } }`
