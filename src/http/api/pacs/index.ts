import { Elysia, t } from 'elysia'
import type { PacsQuery } from '../../../pacs/find-view'
import type { PullService } from '../../../pacs/pull-service'
import type { PushService } from '../../../pacs/push-service'
import type { AuthPlugin } from '../../plugins/auth'
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
export function pacsApi(d: {
  auth: AuthPlugin
  pacsQuery: Pick<PacsQuery, 'requireQueryRight' | 'nodes' | 'echo' | 'find'>
  pulls: Pick<PullService, 'create' | 'list' | 'get' | 'cancel'>
  push: Pick<PushService, 'pushStudy'>
}) {
  const id = t.Object({ id: t.Numeric() })

  return new Elysia()
    .use(d.auth)
    .get('/api/pacs/nodes', async ({ auth }) => {
      await d.pacsQuery.requireQueryRight(await auth.user())
      return { nodes: d.pacsQuery.nodes() }
    })
    .post(
      '/api/pacs/nodes/:node/echo',
      async ({ auth, params }) => {
        const ms = await d.pacsQuery.echo(await auth.user(), params.node)
        return { node: params.node, ok: true, ms: Math.round(ms) }
      },
      { params: nodeParams },
    )
    .get(
      '/api/pacs/nodes/:node/find',
      async ({ auth, params, query }) => {
        const u = await auth.user()
        const view = await d.pacsQuery.find(u, findRequest(params.node, query))
        return { ...view, level: view.level.toLowerCase(), count: view.results.length }
      },
      { params: nodeParams, query: findQuery },
    )
    .post(
      '/api/pacs/pulls',
      async ({ auth, body }) => {
        const pull = await d.pulls.create(await auth.user(), body)
        return Response.json(pull, { status: 201, headers: { location: `/api/pacs/pulls/${pull.id}` } })
      },
      { body: pullBody },
    )
    .get('/api/pacs/pulls', async ({ auth, query }) => ({ pulls: await d.pulls.list(await auth.user(), { project: query.project || undefined }) }), {
      query: t.Object({ project: t.Optional(t.String({ maxLength: 64 })) }),
    })
    .get('/api/pacs/pulls/:id', async ({ auth, params }) => d.pulls.get(await auth.user(), params.id), { params: id })
    .post('/api/pacs/pulls/:id/cancel', async ({ auth, params }) => d.pulls.cancel(await auth.user(), params.id), { params: id })
    .post(
      '/api/pacs/nodes/:node/push',
      async ({ auth, params, body }) => d.push.pushStudy(await auth.user(), params.node, body.project, body.study, undefined, body.series ?? []),
      { params: nodeParams, body: pushBody },
    )
}
