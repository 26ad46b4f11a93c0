import type { AuthService } from '../../auth/auth-service'
import type { UsersService } from '../../auth/users-service'
import { parseExpiry } from '../../auth/token-expiry'
import { ForbiddenError, NotFoundError, UsageError } from '../../core/errors'
import type { Db } from '../../store/db'
import { migrate } from '../../store/migrate'
import type { Repos } from '../../store/repos'
import { has, one, type ParsedArgs } from '../args'
import { actorOf, type ActorLookup, type Out } from '../context'
import { familyHelp } from '../help'

/** `nora --admin --help`: made from the `--admin ...` entries of spec.ts (add a subcommand there too). */
export const ADMIN_HELP = familyHelp('--admin')

/** "2026-06-30 14:05": a time for the token list, in UTC. */
const utc = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ')

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`

/** "2 sessions ended, 1 API token revoked". */
const ended = (r: { sessions: number; tokens: number }) =>
  `${plural(r.sessions, 'session')} ended${r.tokens ? `, ${plural(r.tokens, 'API token')} revoked` : ''}`

/** `nora --admin ...`: users, passwords, tokens, rights, projects, migrations. */
export async function admin(s: ActorLookup & { repos: Pick<Repos, 'users' | 'projects'>; db: Db; auth: Pick<AuthService, 'createToken' | 'listTokens' | 'revokeToken'>; users: UsersService }, args: ParsedArgs, io: Out): Promise<number> {
  const [cmd, ...rest] = args.positional
  if (!cmd || has(args, 'help')) {
    io.out(ADMIN_HELP)
    return cmd ? 0 : 2
  }
  const actor = await actorOf(s, args)
  if (!actor.isSiteAdmin) throw new ForbiddenError(`nora --admin is for site admins; "${actor.username}" is none`)
  const need = (n: number, usage: string) => {
    if (rest.length < n) throw new UsageError(`usage: nora --admin ${usage}`)
  }
  switch (cmd) {
    case 'users':
      for (const u of await s.users.list()) {
        const rights = (await s.users.rightsOf(u)).map((r) => `${r.project}:${r.role}`).join(' ')
        io.out(`${u.username}${u.isSiteAdmin ? ' [site admin]' : ''}${u.disabled ? ' [disabled]' : ''}${rights ? `  ${rights}` : ''}`)
      }
      return 0
    case 'adduser': {
      need(1, 'adduser NAME [--site-admin] [--password PW]')
      const { user, password } = await s.users.add(rest[0]!, { password: one(args, 'password'), siteAdmin: has(args, 'site-admin') })
      io.out(`added user "${user.username}"${user.isSiteAdmin ? ' (site admin)' : ''}`)
      if (!one(args, 'password')) io.out(`password: ${password}`)
      return 0
    }
    case 'passwd': {
      need(1, 'passwd NAME [--password PW] [--revoke-tokens]')
      const r = await s.users.setPassword(rest[0]!, one(args, 'password'), { revokeTokens: has(args, 'revoke-tokens') })
      io.out(`password of "${rest[0]}" changed; ${ended(r)}`)
      if (!one(args, 'password')) io.out(`password: ${r.password}`)
      return 0
    }
    case 'token': {
      need(1, 'token NAME [--name LABEL] [--expires WHEN]')
      const user = await s.users.require(rest[0]!)
      const when = one(args, 'expires')
      io.out(await s.auth.createToken(user, one(args, 'name') ?? 'cli', when === undefined ? undefined : parseExpiry(when)))
      return 0
    }
    case 'tokens': {
      need(1, 'tokens NAME [--json]')
      const user = await s.users.require(rest[0]!)
      const tokens = await s.auth.listTokens(user)
      if (has(args, 'json')) io.out(JSON.stringify(tokens.map((t) => ({ ...t, expired: t.expiresAt !== null && t.expiresAt <= Date.now() }))))
      else if (!tokens.length) io.out(`"${user.username}" has no API tokens`)
      else {
        io.out(['ID', 'LABEL', 'CREATED (UTC)', 'LAST USED', 'EXPIRES'].join('\t'))
        for (const t of tokens)
          io.out([t.id, t.name, utc(t.createdAt), t.lastUsedAt === null ? 'never' : utc(t.lastUsedAt), t.expiresAt === null ? 'never' : `${t.expiresAt <= Date.now() ? 'expired ' : ''}${utc(t.expiresAt)}`].join('\t'))
      }
      return 0
    }
    case 'revoke-token': {
      need(1, 'revoke-token ID')
      if (!/^[1-9]\d{0,15}$/.test(rest[0]!)) throw new UsageError(`token id "${rest[0]}": give the number that nora --admin tokens NAME lists`)
      const gone = await s.auth.revokeToken(Number(rest[0]))
      if (!gone) throw new NotFoundError(`no API token ${rest[0]}; nora --admin tokens NAME lists a user's tokens`)
      const owner = await s.repos.users.byId(gone.userId)
      io.out(`revoked token ${rest[0]} ("${gone.name}") of "${owner?.username ?? gone.userId}"`)
      return 0
    }
    case 'disable': {
      need(1, 'disable NAME [--revoke-tokens]')
      if (actor.id > 0 && actor.username === rest[0]) throw new UsageError(`"${actor.username}" cannot disable itself; another site admin (or the console) can`)
      const r = await s.users.disable(rest[0]!, { revokeTokens: has(args, 'revoke-tokens') })
      io.out(`disabled "${r.user.username}"; ${ended(r)}${has(args, 'revoke-tokens') ? '' : ' (its API tokens work again after enable)'}`)
      return 0
    }
    case 'enable':
      need(1, 'enable NAME')
      io.out(`enabled "${(await s.users.enable(rest[0]!)).username}"`)
      return 0
    case 'grant':
      need(3, 'grant NAME PROJECT read|write|admin')
      await s.users.grant(rest[0]!, rest[1]!, rest[2]!)
      io.out(`granted ${rest[2]} on "${rest[1]}" to "${rest[0]}"`)
      return 0
    case 'revoke':
      need(2, 'revoke NAME PROJECT')
      io.out((await s.users.revoke(rest[0]!, rest[1]!)) ? `revoked "${rest[0]}" from "${rest[1]}"` : `"${rest[0]}" had no rights on "${rest[1]}"`)
      return 0
    case 'projects':
      for (const p of await s.repos.projects.list()) io.out(p.description ? `${p.name}\t${p.description}` : p.name)
      return 0
    case 'migrate': {
      const { applied } = await migrate(s.db)
      io.out(applied.length ? `applied migrations ${applied.join(', ')}` : 'database is up to date')
      return 0
    }
    default:
      throw new UsageError(`unknown admin command "${cmd}"\n${ADMIN_HELP}`)
  }
}
