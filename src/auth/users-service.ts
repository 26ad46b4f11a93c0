import { ConflictError, NotFoundError, UsageError } from '../core/errors'
import { ROLES, type Role, type User } from '../core/types'
import type { Repos } from '../store/repos'
import { hashPassword, randomPassword } from './secrets'

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/

/** User administration: the `nora --admin` commands and the first start's admin account. */
export class UsersService {
  constructor(private readonly repos: Pick<Repos, 'users' | 'rights' | 'projects'>) {}

  async require(username: string): Promise<User> {
    const u = await this.repos.users.byUsername(username)
    if (!u) throw new NotFoundError(`no user "${username}"; nora --admin users lists them`)
    return u
  }

  /** Adds a local user. Without a password one is generated; either way it is returned once, never stored in clear. */
  async add(username: string, opts: { password?: string; siteAdmin?: boolean } = {}): Promise<{ user: User; password: string }> {
    if (!USERNAME.test(username)) throw new UsageError(`user name "${username}": use 1-64 letters, digits, ".", "_", "-" or "@"`)
    if (await this.repos.users.byUsername(username)) throw new ConflictError(`user "${username}" exists already`)
    const password = opts.password ?? randomPassword()
    if (password.length < 8) throw new UsageError('a password needs at least 8 characters')
    const user = await this.repos.users.create({ username, passwordHash: await hashPassword(password), isSiteAdmin: opts.siteAdmin })
    return { user, password }
  }

  /** On the first start: creates `admin` with a random password, returned to be printed once. */
  async ensureInitialAdmin(): Promise<string | undefined> {
    if ((await this.repos.users.count()) > 0) return undefined
    return (await this.add('admin', { siteAdmin: true })).password
  }

  async setPassword(username: string, password?: string): Promise<string> {
    const user = await this.require(username)
    const pw = password ?? randomPassword()
    if (pw.length < 8) throw new UsageError('a password needs at least 8 characters')
    await this.repos.users.setPasswordHash(user.id, await hashPassword(pw))
    return pw
  }

  async grant(username: string, projectName: string, role: string): Promise<void> {
    if (!ROLES.includes(role as Role)) throw new UsageError(`role "${role}": use one of ${ROLES.join(', ')}`)
    const user = await this.require(username)
    const project = await this.repos.projects.byName(projectName)
    if (!project) throw new NotFoundError(`no project "${projectName}"; nora --admin projects lists them`)
    await this.repos.rights.grant(user.id, project.id, role as Role)
  }

  async revoke(username: string, projectName: string): Promise<boolean> {
    const user = await this.require(username)
    const project = await this.repos.projects.byName(projectName)
    if (!project) throw new NotFoundError(`no project "${projectName}"; nora --admin projects lists them`)
    return this.repos.rights.revoke(user.id, project.id)
  }

  list(): Promise<User[]> {
    return this.repos.users.list()
  }

  rightsOf(user: User) {
    return this.repos.rights.forUser(user.id)
  }
}
