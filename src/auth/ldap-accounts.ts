import type { LdapConf } from '../config/ldap-conf'
import { ROLES, type Role, type User } from '../core/types'
import type { Repos } from '../store/repos'
import { LdapDirectory, type DirectoryEntry } from './ldap-directory'
import { normalizeDn } from './ldap-escape'
import { USERNAME } from './users-service'

const RANK = (r: Role) => ROLES.indexOf(r)

/** What a user's groups give under auth.ldap.groupMap: site admin (undefined: the map never says) and project roles. */
export function mappedGrants(groupMap: LdapConf['groupMap'], groups: readonly string[]): { siteAdmin?: boolean; projects: Map<string, Role | undefined> } {
  const member = new Set(groups.map(normalizeDn))
  const projects = new Map<string, Role | undefined>()
  let managesAdmin = false
  let siteAdmin = false
  for (const [dn, grant] of Object.entries(groupMap)) {
    const has = member.has(normalizeDn(dn))
    managesAdmin ||= grant.siteAdmin
    siteAdmin ||= has && grant.siteAdmin
    for (const [project, role] of Object.entries(grant.projects)) {
      const best = projects.get(project)
      if (!projects.has(project)) projects.set(project, undefined)
      if (has && (best === undefined || RANK(role) > RANK(best))) projects.set(project, role)
    }
  }
  return { siteAdmin: managesAdmin ? siteAdmin : undefined, projects }
}

/**
 * Directory logins: a user the directory accepts becomes (on the first login) a nora user with source "ldap" and no
 * local password, and on every login gets what auth.ldap.groupMap says: the site admin flag when some group maps
 * it, and the role on every project the map names (revoked when no group gives one). Rights on projects the map
 * does not name are left to nora's admins. The entry's name and mail replace nora's copy on every login. A directory entry never signs in as a local account of the same name.
 */
export class DirectoryAccounts {
  constructor(
    private readonly directory: { url: string; authenticate(username: string, password: string): Promise<DirectoryEntry | undefined> },
    private readonly groupMap: LdapConf['groupMap'],
    private readonly repos: Pick<Repos, 'users' | 'rights' | 'projects'>,
    private readonly log: (line: string) => void = (line) => console.warn(line),
  ) {}

  get url(): string {
    return this.directory.url
  }

  /** The nora user for a directory login; undefined when the directory refuses it (or the name cannot be a nora user). */
  async signIn(username: string, password: string): Promise<User | undefined> {
    if (!password) return undefined
    const entry = await this.directory.authenticate(username, password)
    if (!entry) return undefined
    if (!USERNAME.test(entry.username)) {
      this.log(`ldap: ${entry.dn}: login name "${entry.username}" cannot be a nora user name (1-64 letters, digits, ".", "_", "-", "@"); refused`)
      return undefined
    }
    const known = await this.repos.users.byUsername(entry.username)
    if (known && known.source !== 'ldap') {
      this.log(`ldap: ${entry.dn} has the name of the local account "${known.username}"; refused (a directory login never takes over a local account)`)
      return undefined
    }
    if (known?.disabled) return known
    const user = known ?? (await this.repos.users.create({ username: entry.username, passwordHash: null, displayName: entry.displayName, email: entry.email, source: 'ldap' }))
    if (known) await this.refreshProfile(known, entry)
    await this.applyGroups(user, entry.groups)
    return (await this.repos.users.byId(user.id)) ?? user
  }

  /** The directory is the source of a directory user's name and mail: a change there shows at the next login (an empty value keeps nora's). */
  private async refreshProfile(user: User, entry: DirectoryEntry): Promise<void> {
    if (entry.displayName && entry.displayName !== user.displayName) await this.repos.users.setDisplayName(user.id, entry.displayName)
    if (entry.email && entry.email !== user.email) await this.repos.users.setEmail(user.id, entry.email)
  }

  private async applyGroups(user: User, groups: readonly string[]): Promise<void> {
    const grants = mappedGrants(this.groupMap, groups)
    if (grants.siteAdmin !== undefined && grants.siteAdmin !== user.isSiteAdmin) await this.repos.users.setSiteAdmin(user.id, grants.siteAdmin)
    for (const [name, role] of grants.projects) {
      const project = await this.repos.projects.byName(name)
      if (!project) {
        if (role) this.log(`ldap: auth.ldap.groupMap names project "${name}", which does not exist; ${user.username} gets no right on it`)
        continue
      }
      const current = await this.repos.rights.roleOf(user.id, project.id)
      if (role && role !== current) await this.repos.rights.grant(user.id, project.id, role)
      if (!role && current) await this.repos.rights.revoke(user.id, project.id)
    }
  }
}

/** The directory logins of auth.ldap, or undefined when no directory is configured (url ""). */
export function directoryAccountsFor(conf: LdapConf, repos: Pick<Repos, 'users' | 'rights' | 'projects'>): DirectoryAccounts | undefined {
  return conf.url ? new DirectoryAccounts(new LdapDirectory(conf), conf.groupMap, repos) : undefined
}
