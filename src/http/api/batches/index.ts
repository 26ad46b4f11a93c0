import { Elysia, t } from 'elysia'
import type { ArchiveService } from '../../../archive/archive-service'
import { ForbiddenError, NotFoundError } from '../../../core/errors'
import type { JobsService } from '../../../jobs/jobs-service'
import type { GridstatsRepo } from '../../../store/repos/gridstats-repo'
import type { AuthPlugin } from '../../plugins/auth'
import { batchOf, launchBatch, previewBatch, type BatchesDeps } from './service'

const project = t.String({ minLength: 1, maxLength: 64 })
const name = t.String({ minLength: 1, maxLength: 128 })
const selection = {
  studies: t.Optional(t.Array(t.String({ maxLength: 512 }), { maxItems: 100_000 })),
  /** Subject level: PATIENTS_IDs (studies given at subject level stand for their subjects). */
  subjects: t.Optional(t.Array(t.String({ maxLength: 256 }), { maxItems: 100_000 })),
  filter: t.Optional(t.String({ maxLength: 2000 })),
  level: t.Optional(t.String({ maxLength: 16 })),
  /** Stop the whole batch at the first failed run (as `--throwerror`). */
  throwerror: t.Optional(t.Boolean()),
}
const withLevel = (raw: unknown, level: string | undefined) => (level && raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as object), level } : raw)

/**
 * The batch list and launching:
 * - `GET /api/projects/:p/batches`, `GET|DELETE /api/projects/:p/batches/:name`, `POST /api/projects/:p/batches {name, batch}`
 * - `POST /api/projects/:p/batches/launch {batch | name, studies? | filter?, level?}` -> {batchId}; the server runs it
 * - `POST /api/projects/:p/batches/preview {batch | name, studies | subjects | filter, level?}` -> per study (per subject at
 *   subject level) the resolved arguments, with the studies their study references chose
 * - `POST /api/batches/:id/rerun-errors {batch?}` -> a new batch over the runs that failed
 */
export function batchesApi(
  d: BatchesDeps & {
    auth: AuthPlugin
    archive: Pick<ArchiveService, 'projectById'>
    jobs: Pick<JobsService, 'rerunErrors' | 'run'>
    gridstats: Pick<GridstatsRepo, 'batchProjectId'>
  },
) {
  return new Elysia()
    .use(d.auth)
    .get('/api/projects/:project/batches', async ({ auth, params }) => ({ batches: await d.batchLibrary.list(await auth.user(), params.project) }), {
      params: t.Object({ project }),
    })
    .post(
      '/api/projects/:project/batches',
      async ({ auth, params, body }) => Response.json(await d.batchLibrary.save(await auth.user(), params.project, body.name, body.batch), { status: 201 }),
      { params: t.Object({ project }), body: t.Object({ name, batch: t.Unknown() }) },
    )
    .post(
      '/api/projects/:project/batches/launch',
      async ({ auth, params, body }) => {
        const user = await auth.user()
        const raw = withLevel(await batchOf(d, user, params.project, body), body.level)
        return Response.json(await launchBatch(d, user, params.project, raw, body), { status: 202 })
      },
      { params: t.Object({ project }), body: t.Object({ batch: t.Optional(t.Unknown()), name: t.Optional(name), ...selection }) },
    )
    .post(
      '/api/projects/:project/batches/preview',
      async ({ auth, params, body }) => {
        const user = await auth.user()
        const raw = withLevel(await batchOf(d, user, params.project, body), body.level)
        return previewBatch(d, user, params.project, raw, body)
      },
      { params: t.Object({ project }), body: t.Object({ batch: t.Optional(t.Unknown()), name: t.Optional(name), ...selection }) },
    )
    .get('/api/projects/:project/batches/:name', async ({ auth, params }) => d.batchLibrary.get(await auth.user(), params.project, params.name), {
      params: t.Object({ project, name }),
    })
    .delete(
      '/api/projects/:project/batches/:name',
      async ({ auth, params }) => {
        await d.batchLibrary.delete(await auth.user(), params.project, params.name)
        return { deleted: params.name }
      },
      { params: t.Object({ project, name }) },
    )
    .post(
      '/api/batches/:id/rerun-errors',
      async ({ auth, params, body }) => {
        const user = await auth.user()
        const projectId = await d.gridstats.batchProjectId(params.id)
        const project = projectId === undefined ? undefined : await d.archive.projectById(projectId)
        if (!project || !(await auth.can('read', project))) throw new NotFoundError(`no batch ${params.id}; Gridstats lists the batches you may see`)
        if (!(await auth.can('write', project))) throw new ForbiddenError(`you may not rerun batches of project "${project.name}"`)
        const { batchId } = await d.jobs.rerunErrors(user, params.id, body?.batch)
        void d.jobs.run(user, batchId).catch((e) => console.error(`batch ${batchId}:`, e))
        return Response.json({ batchId, rerunOf: params.id, gridstats: `/gridstats?batch=${batchId}` }, { status: 202 })
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), body: t.Optional(t.Object({ batch: t.Optional(t.Unknown()) })) },
    )
}
