import type { LdapConf } from '../../config/ldap-conf'
import { mappedGrants } from '../../auth/ldap-accounts'
import { LdapDirectory } from '../../auth/ldap-directory'

/** The password for `nora test ldap USER`: NORA_LDAP_PASSWORD, or the first line of standard input (not a terminal). */
async function passwordFor(user: string): Promise<string> {
  const env = process.env.NORA_LDAP_PASSWORD
  if (env !== undefined) return env
  if (process.stdin.isTTY) throw new Error(`give ${user}'s password in NORA_LDAP_PASSWORD or on standard input (read -s PW; echo "$PW" | nora test ldap ${user})`)
  return (await Bun.stdin.text()).slice(0, 4096).split(/\r?\n/)[0] ?? ''
}

/**
 * `nora test ldap [USER]`: connects (StartTLS when set) and binds the service account; with USER, signs in as that
 * user and prints the entry, its groups and what auth.ldap.groupMap gives, without creating or changing any user.
 */
export async function ldapCheck(conf: LdapConf, user: string | undefined): Promise<string> {
  if (!conf.url) return 'not used (auth.ldap.url is empty in conf/main.conf)'
  const directory = new LdapDirectory(conf)
  const probe = await directory.probe()
  if (!user) return probe
  const password = await passwordFor(user)
  if (!password) throw new Error(`${probe}; the password for ${user} is empty: never sent (it would bind anonymously)`)
  const entry = await directory.authenticate(user, password)
  if (!entry) throw new Error(`${probe}; but it refused ${user}: wrong password, no such user, or more than one entry matched`)
  const g = mappedGrants(conf.groupMap, entry.groups)
  const projects = [...g.projects].map(([p, r]) => `${p}=${r ?? 'none'}`).join(', ') || 'no project named in groupMap'
  const admin = g.siteAdmin === undefined ? 'not set by groupMap' : g.siteAdmin ? 'yes' : 'no'
  return [
    probe,
    `${user}: ${entry.dn}, nora user "${entry.username}", name "${entry.displayName}", mail ${entry.email || '(none)'}`,
    `groups: ${entry.groups.join('; ') || '(none)'}`,
    `groupMap gives: site admin ${admin}; ${projects}`,
  ].join('\n       ')
}
