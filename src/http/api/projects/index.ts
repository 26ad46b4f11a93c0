import { Elysia, t } from 'elysia'
import { AuthError } from '../../../core/errors'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'

/** The projects the caller may see, and one project's summary. */
export function projectsApi(deps: HttpDeps) {
  const caller = async (request: Request) => {
    const c = await callerOf(deps.auth, request)
    if (!c) throw new AuthError('sign in, or send an API token (Authorization: Bearer nora_...)')
    return c
  }
  return new Elysia()
    .get('/api/projects', async ({ request }) => {
      const c = await caller(request)
      return (await deps.rights.visibleProjects(c.user)).map((p) => ({ name: p.name, description: p.description }))
    })
    .get('/api/projects/:project', async ({ request, params }) => deps.archive.summary((await caller(request)).user, params.project), {
      params: t.Object({ project: t.String({ maxLength: 64 }) }),
    })
}
