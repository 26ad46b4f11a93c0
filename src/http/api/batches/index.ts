import { Elysia, t } from 'elysia'
import { AuthError, ForbiddenError, NotFoundError } from '../../../core/errors'
import type { User } from '../../../core/types'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'
import { batchOf, launchBatch, previewBatch } from './service'

const SIGN_IN = 'sign in, or send an API token (Authorization: Bearer nora_...)'

async function userOf(deps: HttpDeps, request: Request): Promise<User> {
  const caller = await callerOf(deps.auth, request)
  if (!caller) throw new AuthError(SIGN_IN)
  return caller.user
}

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
export function batchesApi(deps: HttpDeps) {
  return new Elysia()
    .get('/api/projects/:project/batches', async ({ request, params }) => ({ batches: await deps.batchLibrary.list(await userOf(deps, request), params.project) }), {
      params: t.Object({ project }),
    })
    .post(
      '/api/projects/:project/batches',
      async ({ request, params, body }) => Response.json(await deps.batchLibrary.save(await userOf(deps, request), params.project, body.name, body.batch), { status: 201 }),
      { params: t.Object({ project }), body: t.Object({ name, batch: t.Unknown() }) },
    )
    .post(
      '/api/projects/:project/batches/launch',
      async ({ request, params, body }) => {
        const user = await userOf(deps, request)
        const raw = withLevel(await batchOf(deps, user, params.project, body), body.level)
        return Response.json(await launchBatch(deps, user, params.project, raw, body), { status: 202 })
      },
      { params: t.Object({ project }), body: t.Object({ batch: t.Optional(t.Unknown()), name: t.Optional(name), ...selection }) },
    )
    .post(
      '/api/projects/:project/batches/preview',
      async ({ request, params, body }) => {
        const user = await userOf(deps, request)
        const raw = withLevel(await batchOf(deps, user, params.project, body), body.level)
        return previewBatch(deps, user, params.project, raw, body)
      },
      { params: t.Object({ project }), body: t.Object({ batch: t.Optional(t.Unknown()), name: t.Optional(name), ...selection }) },
    )
    .get('/api/projects/:project/batches/:name', async ({ request, params }) => deps.batchLibrary.get(await userOf(deps, request), params.project, params.name), {
      params: t.Object({ project, name }),
    })
    .delete(
      '/api/projects/:project/batches/:name',
      async ({ request, params }) => {
        await deps.batchLibrary.delete(await userOf(deps, request), params.project, params.name)
        return { deleted: params.name }
      },
      { params: t.Object({ project, name }) },
    )
    .post(
      '/api/batches/:id/rerun-errors',
      async ({ request, params, body }) => {
        const user = await userOf(deps, request)
        const projectId = await deps.gridstats.batchProjectId(params.id)
        const project = projectId === undefined ? undefined : await deps.archive.projectById(projectId)
        if (!project || !(await deps.rights.can(user, 'read', project))) throw new NotFoundError(`no batch ${params.id}; Gridstats lists the batches you may see`)
        if (!(await deps.rights.can(user, 'write', project))) throw new ForbiddenError(`you may not rerun batches of project "${project.name}"`)
        const { batchId } = await deps.jobs.rerunErrors(user, params.id, body?.batch)
        void deps.jobs.run(user, batchId).catch((e) => console.error(`batch ${batchId}:`, e))
        return Response.json({ batchId, rerunOf: params.id, gridstats: `/gridstats?batch=${batchId}` }, { status: 202 })
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), body: t.Optional(t.Object({ batch: t.Optional(t.Unknown()) })) },
    )
}
