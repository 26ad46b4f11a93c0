import { Elysia, t } from 'elysia'
import type { AutoloadersService } from '../../../archive/autoloaders'
import type { AuthPlugin } from '../../plugins/auth'

const params = t.Object({ project: t.String({ maxLength: 64 }) })

/**
 * Autoloader presets of a project: `GET /api/projects/:p/autoloaders` (read), `PUT` with `{presets: [...]}` (write),
 * and `GET /api/projects/:p/autoloaders/resolve?psid=PID%23SID[&name=]`: the file URLs the active (or named) preset
 * loads for that study, for the viewer.
 */
export function autoloadersApi(d: { auth: AuthPlugin; autoloaders: Pick<AutoloadersService, 'list' | 'save' | 'resolve'> }) {
  return new Elysia()
    .use(d.auth)
    .get('/api/projects/:project/autoloaders', async ({ auth, params: p }) => ({ presets: await d.autoloaders.list(await auth.user(), p.project) }), { params })
    .put(
      '/api/projects/:project/autoloaders',
      async ({ auth, params: p, body }) => ({ presets: await d.autoloaders.save(await auth.user(), p.project, body.presets) }),
      { params, body: t.Object({ presets: t.Array(t.Any(), { maxItems: 50 }) }) },
    )
    .get(
      '/api/projects/:project/autoloaders/resolve',
      async ({ auth, params: p, query }) => d.autoloaders.resolve(await auth.user(), p.project, query.psid, query.name),
      { params, query: t.Object({ psid: t.String({ minLength: 1, maxLength: 300 }), name: t.Optional(t.String({ maxLength: 64 })) }) },
    )
}
