import { Elysia, t } from 'elysia'
import { AuthError } from '../../../core/errors'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'

const params = t.Object({ project: t.String({ maxLength: 64 }) })

/**
 * Autoloader presets of a project: `GET /api/projects/:p/autoloaders` (read), `PUT` with `{presets: [...]}` (write),
 * and `GET /api/projects/:p/autoloaders/resolve?psid=PID%23SID[&name=]`: the file URLs the active (or named) preset
 * loads for that study, for the viewer.
 */
export function autoloadersApi(deps: HttpDeps) {
  const who = async (request: Request) => {
    const caller = await callerOf(deps.auth, request)
    if (!caller) throw new AuthError('sign in, or send an API token (Authorization: Bearer nora_...)')
    return caller.user
  }
  return new Elysia()
    .get('/api/projects/:project/autoloaders', async ({ request, params: p }) => ({ presets: await deps.autoloaders.list(await who(request), p.project) }), { params })
    .put(
      '/api/projects/:project/autoloaders',
      async ({ request, params: p, body }) => ({ presets: await deps.autoloaders.save(await who(request), p.project, body.presets) }),
      { params, body: t.Object({ presets: t.Array(t.Any(), { maxItems: 50 }) }) },
    )
    .get(
      '/api/projects/:project/autoloaders/resolve',
      async ({ request, params: p, query }) => deps.autoloaders.resolve(await who(request), p.project, query.psid, query.name),
      { params, query: t.Object({ psid: t.String({ minLength: 1, maxLength: 300 }), name: t.Optional(t.String({ maxLength: 64 })) }) },
    )
}
