import { Elysia, t } from 'elysia'
import { AuthError } from '../../../core/errors'
import type { User } from '../../../core/types'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'
import { findQuery, findRequest, nodeParams, pullBody, pushBody } from './model'

/**
 * The PACS over HTTP (JSON). Querying needs the write right on at least one project (site admins always; see
 * PacsQuery); pulls need the write right on their target project (PullService checks).
 *
 * - `GET  /api/pacs/nodes`                       the nodes of conf/pacs.conf
 * - `POST /api/pacs/nodes/:node/echo`            C-ECHO: `{ node, ok, ms }`, 503 with the reason when it fails
 * - `GET  /api/pacs/nodes/:node/find?level=patient|study|series&PatientName=&PatientID=&PatientBirthDate=&StudyDate=
 *         &Modality=&AccessionNumber=&StudyDescription=&StudyInstanceUID=[&project=P]`: C-FIND; with a project
 *         whose policy is pseudonymize the patients show as that project will store them
 * - `POST /api/pacs/pulls` `{ node, project, studies: [{ studyInstanceUid, expectedInstances?, patientId?, description? }] }`
 * - `GET  /api/pacs/pulls?project=P`, `GET /api/pacs/pulls/:id`, `POST /api/pacs/pulls/:id/cancel`
 * - `POST /api/pacs/nodes/:node/push` `{ project, study, series? }`: C-STORE of the study's kept DICOM (write right on
 *         the project): `{ completed, warning, failed, instances, failures }`
 */
export function pacsApi(deps: HttpDeps) {
  const user = async (request: Request): Promise<User> => {
    const caller = await callerOf(deps.auth, request)
    if (!caller) throw new AuthError('sign in, or send an API token (Authorization: Bearer nora_...)')
    return caller.user
  }
  const id = t.Object({ id: t.Numeric() })

  return new Elysia()
    .get('/api/pacs/nodes', async ({ request }) => {
      await deps.pacsQuery.requireQueryRight(await user(request))
      return { nodes: deps.pacsQuery.nodes() }
    })
    .post(
      '/api/pacs/nodes/:node/echo',
      async ({ request, params }) => {
        const ms = await deps.pacsQuery.echo(await user(request), params.node)
        return { node: params.node, ok: true, ms: Math.round(ms) }
      },
      { params: nodeParams },
    )
    .get(
      '/api/pacs/nodes/:node/find',
      async ({ request, params, query }) => {
        const u = await user(request)
        const view = await deps.pacsQuery.find(u, findRequest(params.node, query))
        return { ...view, level: view.level.toLowerCase(), count: view.results.length }
      },
      { params: nodeParams, query: findQuery },
    )
    .post(
      '/api/pacs/pulls',
      async ({ request, body }) => {
        const pull = await deps.pulls.create(await user(request), body)
        return Response.json(pull, { status: 201, headers: { location: `/api/pacs/pulls/${pull.id}` } })
      },
      { body: pullBody },
    )
    .get('/api/pacs/pulls', async ({ request, query }) => ({ pulls: await deps.pulls.list(await user(request), { project: query.project || undefined }) }), {
      query: t.Object({ project: t.Optional(t.String({ maxLength: 64 })) }),
    })
    .get('/api/pacs/pulls/:id', async ({ request, params }) => deps.pulls.get(await user(request), params.id), { params: id })
    .post('/api/pacs/pulls/:id/cancel', async ({ request, params }) => deps.pulls.cancel(await user(request), params.id), { params: id })
    .post(
      '/api/pacs/nodes/:node/push',
      async ({ request, params, body }) => deps.push.pushStudy(await user(request), params.node, body.project, body.study, undefined, body.series ?? []),
      { params: nodeParams, body: pushBody },
    )
}
