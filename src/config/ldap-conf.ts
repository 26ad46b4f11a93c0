import { ROLES } from '../core/types'
import { ConfigProblem, boolean, integer, object, oneOf, recordOf, string, type Rule } from './schema'

const shape = object({
  /** ldap://host:389 or ldaps://host:636; empty: no directory, local accounts only. */
  url: string('', { pattern: /^(|ldaps?:\/\/[^\s/]+\/?)$/, hint: 'an LDAP URL such as "ldap://dc1.example.org" or "ldaps://dc1.example.org:636", or ""' }),
  /** Upgrade an ldap:// connection with StartTLS before any bind. */
  startTls: boolean(false),
  /** PEM file of the CA that signed the directory's certificate (ldaps:// or StartTLS); empty: the system's CAs. */
  tlsCaFile: string(''),
  /**
   * Either a DN template with {user} to bind as the user directly ("uid={user},ou=people,dc=example,dc=org"), or a
   * service account (or "" for an anonymous search) that looks the user up with searchBase + searchFilter.
   */
  bindDn: string(''),
  bindPassword: string(''),
  searchBase: string(''),
  searchFilter: string('(uid={user})', { pattern: /\{user\}/, hint: 'an LDAP filter containing {user}, e.g. "(uid={user})" or "(sAMAccountName={user})"' }),
  /** The attribute that holds the login name (its value names the nora user): uid; Active Directory: sAMAccountName. */
  usernameAttribute: string('uid'),
  /** Groups are read from the user's memberOf and, when groupSearchBase is set, searched with groupFilter ({dn}, {user}). */
  groupSearchBase: string(''),
  groupFilter: string('(|(member={dn})(uniqueMember={dn})(memberUid={user}))'),
  /** Group DN -> what its members get in nora, applied on every login. */
  groupMap: recordOf(object({ siteAdmin: boolean(false), projects: recordOf(oneOf(ROLES)) })),
  /** Connecting and every operation give up after this long: the directory then counts as not answering. */
  timeoutMs: integer(100, 120_000, 5000),
})

export type LdapConf = ReturnType<typeof shape.parse>

/** auth.ldap of conf/main.conf: checked as a whole (bind template or search base), so a half setup stops nora at start. */
export const ldapConfRule: Rule<LdapConf> = {
  describe: shape.describe,
  parse(v, path) {
    const c = shape.parse(v, path)
    if (!c.url) return c
    if (!c.bindDn.includes('{user}') && !c.searchBase)
      throw new ConfigProblem(path, '', v, `${path}: set bindDn to a template with {user} ("uid={user},ou=people,dc=example,dc=org") or searchBase (with a service account bindDn/bindPassword, or none for an anonymous search)`)
    if (c.startTls && c.url.startsWith('ldaps:')) throw new ConfigProblem(`${path}.startTls`, '', v, `${path}.startTls: ldaps:// is TLS already; use startTls with ldap:// only`)
    return c
  },
}
