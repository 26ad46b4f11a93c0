import type { Services } from '../../app'
import { ForbiddenError, UsageError } from '../../core/errors'
import { migrate } from '../../store/migrate'
import { has, one, type ParsedArgs } from '../args'
import { actorOf, type Out } from '../context'

export const ADMIN_HELP = `nora --admin COMMAND ...   (site admins)
  users                          list users with their rights
  adduser NAME [--site-admin] [--password PW]
                                 add a local user; prints the password once
  passwd NAME [--password PW]    set (or generate) a user's password
  token NAME [--name LABEL]      create an API token for a user; printed once
  grant NAME PROJECT read|write|admin
  revoke NAME PROJECT
  projects                       list projects
  migrate                        apply pending database migrations`

/** `nora --admin ...`: users, passwords, tokens, rights, projects, migrations. */
export async function admin(s: Services, args: ParsedArgs, io: Out): Promise<number> {
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
      need(1, 'passwd NAME [--password PW]')
      const pw = await s.users.setPassword(rest[0]!, one(args, 'password'))
      io.out(`password of "${rest[0]}" changed`)
      if (!one(args, 'password')) io.out(`password: ${pw}`)
      return 0
    }
    case 'token': {
      need(1, 'token NAME [--name LABEL]')
      const user = await s.users.require(rest[0]!)
      io.out(await s.auth.createToken(user, one(args, 'name') ?? 'cli'))
      return 0
    }
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
