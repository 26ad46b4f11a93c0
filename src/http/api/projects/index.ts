import { Elysia, t } from 'elysia'
import type { ArchiveService } from '../../../archive/archive-service'
import type { Rights } from '../../../auth/rights'
import type { AuthPlugin } from '../../plugins/auth'

/** The projects the caller may see, and one project's summary. */
export function projectsApi(d: { auth: AuthPlugin; rights: Pick<Rights, 'visibleProjects'>; archive: Pick<ArchiveService, 'summary'> }) {
  return new Elysia()
    .use(d.auth)
    .get('/api/projects', async ({ auth }) => (await d.rights.visibleProjects(await auth.user())).map((p) => ({ name: p.name, description: p.description })))
    .get('/api/projects/:project', async ({ auth, params }) => d.archive.summary(await auth.user(), params.project), {
      params: t.Object({ project: t.String({ maxLength: 64 }) }),
    })
}
