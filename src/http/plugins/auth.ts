import { Elysia } from 'elysia'
import type { AuthService } from '../../auth/auth-service'
import type { Rights } from '../../auth/rights'
import { AuthError } from '../../core/errors'
import type { Action, Project, User } from '../../core/types'
import { callerOf, type Caller } from '../request-auth'

/** What an anonymous call to something that needs a user is told (401). */
export const SIGN_IN = 'sign in, or send an API token (Authorization: Bearer nora_...)'

/** Who calls, as a handler sees it (`({ auth }) => ...`). The caller is looked up once per request, when first asked. */
export interface RequestAuth {
  /** The caller (session cookie or API token), or undefined when anonymous; a wrong API token rejects (AuthError). */
  caller(): Promise<Caller | undefined>
  /** Needs a user: the caller's user, else AuthError (401). */
  user(): Promise<User>
  /** Needs right `action` on project `name` (read < write < jobs < admin): 401 anonymous, 404 no such project, 403 without the right. */
  project(name: string, action: Action): Promise<{ user: User; project: Project }>
  /** Whether the caller (who must be signed in) may do `action` on `project`. */
  can(action: Action, project: Project): Promise<boolean>
}

export interface AuthPluginDeps {
  auth: Pick<AuthService, 'userForToken' | 'session'>
  rights: Pick<Rights, 'can' | 'require'>
  /** Looks a project up by name; NotFoundError naming it when there is none. */
  projects: { requireProject(name: string): Promise<Project> }
}

/**
 * The auth plugin: gives every handler `auth` (RequestAuth). Made once by the composition root (create-app.ts) and
 * used by the route plugins that need a caller; Elysia applies it once per app (it is named), and the lookup is
 * kept per request, so the CSRF check and the handler share it.
 */
export function authPlugin(d: AuthPluginDeps) {
  const resolved = new WeakMap<Request, Promise<Caller | undefined>>()
  const callerFor = (request: Request) => {
    let caller = resolved.get(request)
    if (!caller) resolved.set(request, (caller = callerOf(d.auth, request)))
    return caller
  }
  return new Elysia({ name: 'nora-auth' }).derive({ as: 'global' }, ({ request }) => {
    const caller = () => callerFor(request)
    const user = async () => {
      const c = await caller()
      if (!c) throw new AuthError(SIGN_IN)
      return c.user
    }
    const auth: RequestAuth = {
      caller,
      user,
      async project(name, action) {
        const u = await user()
        const project = await d.projects.requireProject(name)
        await d.rights.require(u, action, project)
        return { user: u, project }
      },
      async can(action, project) {
        return d.rights.can(await user(), action, project)
      },
    }
    return { auth }
  })
}

export type AuthPlugin = ReturnType<typeof authPlugin>
