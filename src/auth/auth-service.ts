import { AuthError, RateLimitError } from '../core/errors'
import type { User } from '../core/types'
import type { Repos } from '../store/repos'
import { hashPassword, randomToken, sha256Hex, verifyPassword } from './secrets'

export interface AuthLimits {
  sessionHours: number
  maxFailedLogins: number
  failedLoginWindowSeconds: number
}

export interface Session {
  user: User
  csrfToken: string
}

const WRONG = 'wrong user name or password'
/** API tokens carry a prefix so that they are recognisable in logs and secret scanners. */
export const TOKEN_PREFIX = 'nora_'

/** Logins, sessions and API tokens. Unknown user and wrong password get the same answer after the same work. */
export class AuthService {
  constructor(
    private readonly repos: Pick<Repos, 'users' | 'sessions' | 'tokens' | 'loginFailures'>,
    private readonly limits: AuthLimits,
  ) {}

  async checkPassword(username: string, password: string, address: string): Promise<User> {
    const since = Date.now() - this.limits.failedLoginWindowSeconds * 1000
    const subjects = [`user:${username}`, `addr:${address}`]
    for (const s of subjects) {
      if ((await this.repos.loginFailures.countSince(s, since)) >= this.limits.maxFailedLogins)
        throw new RateLimitError(
          `too many failed logins for ${s.startsWith('user:') ? 'this user' : 'this address'}; try again in ${Math.ceil(this.limits.failedLoginWindowSeconds / 60)} minutes`,
        )
    }
    const user = await this.repos.users.byUsername(username)
    const hash = user && !user.disabled ? await this.repos.users.passwordHash(user.id) : null
    const ok = await verifyPassword(password, hash)
    if (!user || !ok || user.disabled) {
      await this.repos.loginFailures.record(subjects)
      throw new AuthError(WRONG)
    }
    await this.repos.loginFailures.clear(`user:${username}`)
    return user
  }

  /** A new session; the cookie value is returned once and stored only as its hash. */
  async openSession(user: User): Promise<{ cookie: string; csrfToken: string; maxAgeSeconds: number }> {
    const cookie = randomToken()
    const csrfToken = randomToken()
    const maxAgeSeconds = this.limits.sessionHours * 3600
    await this.repos.sessions.create(sha256Hex(cookie), user.id, csrfToken, Date.now() + maxAgeSeconds * 1000)
    return { cookie, csrfToken, maxAgeSeconds }
  }

  async session(cookie: string | undefined): Promise<Session | undefined> {
    if (!cookie) return undefined
    const row = await this.repos.sessions.find(sha256Hex(cookie))
    if (!row || row.expiresAt < Date.now()) return undefined
    const user = await this.repos.users.byId(row.userId)
    if (!user || user.disabled) return undefined
    return { user, csrfToken: row.csrfToken }
  }

  async closeSession(cookie: string | undefined): Promise<void> {
    if (cookie) await this.repos.sessions.delete(sha256Hex(cookie))
  }

  /** Creates an API token; the plain token is shown once and only its hash is kept. */
  async createToken(user: User, name: string): Promise<string> {
    const token = TOKEN_PREFIX + randomToken()
    await this.repos.tokens.create(user.id, sha256Hex(token), name)
    return token
  }

  /** The user a token belongs to. When the caller also names a user (the seed's URL calls), it must match. */
  async userForToken(token: string, username?: string): Promise<User> {
    const userId = token ? await this.repos.tokens.userIdFor(sha256Hex(token)) : undefined
    const user = userId === undefined ? undefined : await this.repos.users.byId(userId)
    if (!user || user.disabled || (username !== undefined && user.username !== username)) throw new AuthError('wrong user name or token')
    return user
  }

  async setPassword(user: User, password: string): Promise<void> {
    await this.repos.users.setPasswordHash(user.id, await hashPassword(password))
  }
}
