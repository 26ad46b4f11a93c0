import { ConflictError, NotFoundError, UsageError } from '../core/errors'
import { ROLES, type Role, type User } from '../core/types'
import type { Repos } from '../store/repos'
import { hashPassword, randomPassword } from './secrets'

/** What a nora user name may be (local, or taken from the directory). */
export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/

/** User administration: the `nora --admin` commands and the first start's admin account. */
export class UsersService {
  constructor(private readonly repos: Pick<Repos, 'users' | 'rights' | 'projects' | 'sessions' | 'tokens'>) {}

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

  /**
   * Sets (or generates) a password and ends the user's sessions; with `revokeTokens` their API tokens go too (a
   * leaked password may have minted some). Returns the password and how many sessions and tokens ended.
   */
  async setPassword(username: string, password?: string, opts: { revokeTokens?: boolean } = {}): Promise<{ password: string; sessions: number; tokens: number }> {
    const user = await this.require(username)
    const pw = password ?? randomPassword()
    if (pw.length < 8) throw new UsageError('a password needs at least 8 characters')
    await this.repos.users.setPasswordHash(user.id, await hashPassword(pw))
    const sessions = await this.repos.sessions.deleteForUser(user.id)
    const tokens = opts.revokeTokens ? await this.repos.tokens.deleteForUser(user.id) : 0
    return { password: pw, sessions, tokens }
  }

  /**
   * Disables a user: sign-in, sessions, API tokens and run tokens stop working at once (each is checked against the
   * flag on every use), and the sessions are deleted, so that enabling the user again does not revive them. With
   * `revokeTokens` the API tokens are deleted too; otherwise they work again once the user is enabled.
   */
  async disable(username: string, opts: { revokeTokens?: boolean } = {}): Promise<{ user: User; sessions: number; tokens: number }> {
    const user = await this.require(username)
    await this.repos.users.setDisabled(user.id, true)
    const sessions = await this.repos.sessions.deleteForUser(user.id)
    const tokens = opts.revokeTokens ? await this.repos.tokens.deleteForUser(user.id) : 0
    return { user, sessions, tokens }
  }

  /** Enables a disabled user: they can sign in again (and their remaining API tokens work again). */
  async enable(username: string): Promise<User> {
    const user = await this.require(username)
    await this.repos.users.setDisabled(user.id, false)
    return user
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
