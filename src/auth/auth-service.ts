import { AuthError, ForbiddenError, NotFoundError, RateLimitError, UsageError } from '../core/errors'
import { THEMES, type Theme, type User } from '../core/types'
import type { Repos } from '../store/repos'
import type { TokenInfo } from '../store/repos/tokens-repo'
import { hashPassword, randomToken, sha256Hex, verifyPassword } from './secrets'

export interface AuthLimits {
  sessionHours: number
  /** Failed logins for one user from one address, per window, before that user is refused from that address. */
  maxFailedLogins: number
  /** For one user from any address (default 4 × maxFailedLogins): guessing from many addresses is slowed too. */
  maxFailedLoginsPerUser?: number
  /** From one address for any users (default 10 × maxFailedLogins): one address spraying user names is slowed. */
  maxFailedLoginsPerAddress?: number
  failedLoginWindowSeconds: number
}

/** Expired API tokens are kept this long (listed as expired, so that a failing script's cause shows), then pruned. */
export const EXPIRED_TOKENS_KEPT_MS = 30 * 24 * 3600 * 1000

export interface Session {
  user: User
  csrfToken: string
}

const WRONG = 'wrong user name or password'
/** API tokens carry a prefix so that they are recognisable in logs and secret scanners. */
export const TOKEN_PREFIX = 'nora_'

/** The largest local file cache a user may ask the viewer for, MB (100 GB). */
export const LOCAL_CACHE_MAX_MB = 100_000

/** Logins, sessions and API tokens. Unknown user and wrong password get the same answer after the same work. */
export class AuthService {
  constructor(
    private readonly repos: Pick<Repos, 'users' | 'sessions' | 'tokens' | 'loginFailures' | 'audit' | 'userSettings'>,
    private readonly limits: AuthLimits,
    /** LDAP / Active Directory (auth.ldap): signs in users that have no local password. */
    private readonly directory?: { url: string; signIn(username: string, password: string): Promise<User | undefined> },
  ) {}

  /**
   * The user, when the password is right. Failures count per user and address, per user and per address (each
   * against its own limit, within failedLoginWindowSeconds): five wrong passwords for one user lock that user out
   * from that address, not every user behind it (a reverse proxy, a NAT), nor that user everywhere.
   */
  async checkPassword(username: string, password: string, address: string): Promise<User> {
    const user = await this.repos.users.byUsername(username)
    // Counted under the stored spelling: a database that matches "Carol" or "carol " to carol counts them as carol.
    const name = user?.username ?? username
    const since = Date.now() - this.limits.failedLoginWindowSeconds * 1000
    const max = this.limits.maxFailedLogins
    const counters = [
      { subject: `pair:${address} ${name}`, max, what: 'this user from this address' },
      { subject: `user:${name}`, max: this.limits.maxFailedLoginsPerUser ?? 4 * max, what: 'this user' },
      { subject: `addr:${address}`, max: this.limits.maxFailedLoginsPerAddress ?? 10 * max, what: 'this address' },
    ]
    for (const c of counters) {
      if ((await this.repos.loginFailures.countSince(c.subject, since)) >= c.max)
        throw new RateLimitError(`too many failed logins for ${c.what}; try again in ${Math.ceil(this.limits.failedLoginWindowSeconds / 60)} minutes`)
    }
    const hash = user && !user.disabled ? await this.repos.users.passwordHash(user.id) : null
    // Local users with a password sign in here; others (unknown, or from the directory) ask the directory, if any.
    // A directory that does not answer throws DirectoryUnavailableError (503), not counted as a failed login.
    const viaDirectory = this.directory && !hash && (!user || user.source === 'ldap')
    const signedIn = viaDirectory
      ? user?.disabled ? undefined : await this.directory!.signIn(username, password)
      : (await verifyPassword(password, hash)) ? user : undefined
    if (!signedIn || signedIn.disabled) {
      await this.repos.loginFailures.record(counters.map((c) => c.subject))
      throw new AuthError(WRONG)
    }
    await this.repos.loginFailures.clear(counters[0]!.subject)
    return signedIn
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
    const theme = await this.theme(user)
    return { user: theme ? { ...user, theme } : user, csrfToken: row.csrfToken }
  }

  async closeSession(cookie: string | undefined): Promise<void> {
    if (cookie) await this.repos.sessions.delete(sha256Hex(cookie))
  }

  /** Ends every session of a user (a password change, a disabled user); returns how many there were. */
  endSessions(user: User): Promise<number> {
    return this.repos.sessions.deleteForUser(user.id)
  }

  /** Creates an API token, valid until `expiresAt` (ms) if given; the plain token is shown once and only its hash is kept. */
  async createToken(user: User, name: string, expiresAt?: number): Promise<string> {
    if (expiresAt !== undefined && expiresAt <= Date.now()) throw new UsageError('a token must expire in the future')
    const token = TOKEN_PREFIX + randomToken()
    await this.repos.tokens.create(user.id, sha256Hex(token), name, expiresAt ?? null)
    return token
  }

  /** The user a token belongs to. When the caller also names a user (the seed's URL calls), it must match. */
  async userForToken(token: string, username?: string): Promise<User> {
    const hash = token ? sha256Hex(token) : ''
    const userId = token ? await this.repos.tokens.userIdFor(hash) : undefined
    const user = userId === undefined ? undefined : await this.repos.users.byId(userId)
    if (!user || user.disabled || (username !== undefined && user.username !== username)) {
      const expired = userId === undefined && token ? await this.repos.tokens.expiredAt(hash) : undefined
      if (expired !== undefined && expired <= Date.now())
        throw new AuthError(`the token expired on ${new Date(expired).toISOString().slice(0, 16).replace('T', ' ')} UTC; create a new one in your profile (/profile), or a site admin with nora --admin token USER`)
      throw new AuthError('wrong user name or token')
    }
    return user
  }

  /** A user's tokens (never their secrets): id, label, created, last used, expiry. */
  listTokens(user: User): Promise<TokenInfo[]> {
    return this.repos.tokens.list(user.id)
  }

  /** Revokes one token by id; its owner and label, or undefined when there is no such token. */
  async revokeToken(id: number): Promise<{ userId: number; name: string } | undefined> {
    const owner = await this.repos.tokens.ownerOf(id)
    if (!owner || !(await this.repos.tokens.delete(owner.userId, id))) return undefined
    return owner
  }

  /** Revokes one of the user's own tokens by id; false when the user has no such token (another's id is no such token). */
  revokeOwnToken(user: User, id: number): Promise<boolean> {
    return this.repos.tokens.delete(user.id, id)
  }

  /**
   * A user changes their own password: the old one must be right (counted as a login, so it cannot be guessed here
   * either), the new one has at least 8 characters and differs. Every session of the user ends; the caller opens a
   * new one for the browser that made the change.
   */
  async changePassword(user: User, oldPassword: string, newPassword: string, address: string): Promise<void> {
    if (user.source === 'ldap') throw new UsageError('your password is kept in the directory (LDAP); change it there')
    if (newPassword.length < 8) throw new UsageError('the new password needs at least 8 characters')
    if (newPassword === oldPassword) throw new UsageError('the new password is the old one; choose another')
    await this.checkPassword(user.username, oldPassword, address).catch((e) => {
      throw e instanceof AuthError ? new AuthError('the current password is wrong') : e
    })
    await this.setPassword(user, newPassword)
  }

  /**
   * A site admin acts as another user (the seed's `asuser=NAME` of a URL call): refused to anyone else, and recorded
   * in the audit log (who, as whom, `detail`: where; never a secret) before the user is returned.
   */
  async actAs(admin: User, username: string, detail: string): Promise<User> {
    if (!admin.isSiteAdmin || admin.scope) throw new ForbiddenError('asuser= is for site admins only')
    const user = await this.repos.users.byUsername(username)
    if (!user || user.disabled) throw new NotFoundError(`no user "${username}" to act as`)
    await this.repos.audit.record({ actorId: admin.id, actor: admin.username, action: 'asuser', subject: user.username, detail })
    return user
  }

  /** The user's saved styling theme, if any. */
  async theme(user: User): Promise<Theme | undefined> {
    const v = await this.repos.userSettings.get(user.id, 'theme')
    return THEMES.includes(v as Theme) ? (v as Theme) : undefined
  }

  /** Saves the user's styling theme. */
  async setTheme(user: User, theme: string): Promise<Theme> {
    if (!THEMES.includes(theme as Theme)) throw new UsageError(`theme "${theme.slice(0, 20)}": use ${THEMES.join(' or ')}`)
    await this.repos.userSettings.set(user.id, 'theme', theme)
    return theme as Theme
  }

  /** The user's budget for the viewer's local file cache (the profile's "local cache size for remote users"), MB; 0 = off. */
  async localCacheMb(user: User): Promise<number> {
    const v = Number(await this.repos.userSettings.get(user.id, 'localCacheMb'))
    return Number.isInteger(v) && v > 0 && v <= LOCAL_CACHE_MAX_MB ? v : 0
  }

  /** Saves that budget: a whole number of MB from 0 (no cache) to LOCAL_CACHE_MAX_MB. */
  async setLocalCacheMb(user: User, text: string): Promise<number> {
    const mb = Number(text.trim())
    if (text.trim() === '' || !Number.isInteger(mb) || mb < 0 || mb > LOCAL_CACHE_MAX_MB)
      throw new UsageError(`local cache size "${text.slice(0, 20)}": a whole number of MB from 0 (no cache) to ${LOCAL_CACHE_MAX_MB}`)
    await this.repos.userSettings.set(user.id, 'localCacheMb', String(mb))
    return mb
  }

  /** Revokes every API token of a user; returns how many there were. */
  revokeTokens(user: User): Promise<number> {
    return this.repos.tokens.deleteForUser(user.id)
  }

  /** Sets a password and ends the user's sessions: whoever signed in with the old one is signed out. */
  async setPassword(user: User, password: string): Promise<void> {
    await this.repos.users.setPasswordHash(user.id, await hashPassword(password))
    await this.endSessions(user)
  }

  /**
   * Deletes what can no longer be used: expired sessions, login failures older than their window, and API tokens
   * expired for more than EXPIRED_TOKENS_KEPT_MS. Cheap (indexed deletes); `nora serve` runs it at start and hourly.
   */
  async prune(now = Date.now()): Promise<{ sessions: number; loginFailures: number; tokens: number }> {
    return {
      sessions: await this.repos.sessions.deleteExpired(now),
      loginFailures: await this.repos.loginFailures.prune(now - this.limits.failedLoginWindowSeconds * 1000),
      tokens: await this.repos.tokens.pruneExpired(now - EXPIRED_TOKENS_KEPT_MS),
    }
  }
}
