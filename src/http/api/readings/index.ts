import { Elysia, t } from 'elysia'
import { contentTypeOf, openProjectFile, type ProjectFolders } from '../../../archive/file-access'
import type { ReadingService } from '../../../reading/reading-service'
import type { AuthPlugin } from '../../plugins/auth'

const project = t.String({ maxLength: 64 })
const params = t.Object({ project })
const withId = t.Object({ project, id: t.Numeric({ minimum: 1 }) })
const withCase = t.Object({ project, id: t.Numeric({ minimum: 1 }), caseKey: t.String({ minLength: 1, maxLength: 1000 }) })
const mode = t.Union([t.Literal('training'), t.Literal('serious')])
const configBody = t.Object({ config: t.Any() })

type Readings = Pick<ReadingService, 'list' | 'create' | 'update' | 'delete' | 'get' | 'template' | 'startSession' | 'submit' | 'results' | 'csv' | 'restart' | 'caseFiles' | 'caseFilePath' | 'resultRoi'>

/**
 * The Reading Tool's JSON API, all under `/api/projects/:project/readings` (rights: see ReadingService; the CSRF
 * token is checked for sessions on every write by create-app):
 *
 *   GET    ''                           the readings the caller reads or administers, with progress and info
 *   POST   ''            {config}       create (project admins)           -> {id}
 *   GET    '/:id'                       {id, name, mode, isAdmin, config} (readers: without the admin-only parts)
 *   PUT    '/:id'        {config}       edit (reading admins)              -> {id}
 *   DELETE '/:id'                       delete with its results (reading admins)
 *   GET    '/:id/template?viewer=JSON'  the reading tab's template (id 0 or "new": for a new reading); POST with
 *                                       {viewer} for a large viewer state
 *   POST   '/:id/session' {mode}        {sessionId, mode, cases: [...], next}
 *   POST   '/:id/results' {sessionId, caseKey, repetition, stage, mode, values, annotations, activeSeconds, startedAt,
 *                          rois?: [{name, data: .nii.gz in base64}]} -> {ok, next, ...} (ROIs: readings with tools.roi 1)
 *   GET    '/:id/results'               rows (admins all, readers their own), each with its ROIs [{n, name, file, voxels, ml, url}]
 *   GET    '/:id/results/:resultId/rois/:n'   a result's ROI as .nii.gz (readers their own results', admins all)
 *   GET    '/:id/results.csv'           CSV download
 *   POST   '/:id/restart' {mode}        deletes the caller's results of that mode (where allowed)
 *   GET    '/:id/cases/:caseKey/files?stage=N'   the autoloader's files of a case [{path, url, viewport, as, colormap, min, max}]
 *   GET    '/:id/cases/:caseKey/file?path=P'     a case's file by its path inside the study (blind mode's file URL)
 */
export function readingsApi(d: { auth: AuthPlugin; readings: Readings; archive: ProjectFolders }) {
  const base = '/api/projects/:project/readings'
  return new Elysia()
    .use(d.auth)
    .get(base, async ({ auth, params: p }) => d.readings.list(await auth.user(), p.project), { params })
    .post(base, async ({ auth, params: p, body, set }) => {
      set.status = 201
      return d.readings.create(await auth.user(), p.project, body.config)
    }, { params, body: configBody })
    .get(`${base}/:id`, async ({ auth, params: p }) => d.readings.get(await auth.user(), p.project, p.id), { params: withId })
    .put(`${base}/:id`, async ({ auth, params: p, body }) => d.readings.update(await auth.user(), p.project, p.id, body.config), { params: withId, body: configBody })
    .delete(`${base}/:id`, async ({ auth, params: p }) => {
      await d.readings.delete(await auth.user(), p.project, p.id)
      return { ok: true }
    }, { params: withId })
    .get(
      `${base}/:id/template`,
      async ({ auth, params: p, query }) => {
        let viewer: unknown
        if (query.viewer) {
          try {
            viewer = JSON.parse(query.viewer)
          } catch {
            return Response.json({ error: 'viewer: the viewer state as JSON' }, { status: 400 })
          }
        }
        const id = p.id === 'new' ? 0 : Number(p.id)
        if (!Number.isSafeInteger(id) || id < 0) return Response.json({ error: 'id: a reading id, or "new"' }, { status: 400 })
        return d.readings.template(await auth.user(), p.project, id, viewer)
      },
      { params: t.Object({ project, id: t.String({ maxLength: 20 }) }), query: t.Object({ viewer: t.Optional(t.String({ maxLength: 100_000 })) }) },
    )
    .post(
      `${base}/:id/template`,
      async ({ auth, params: p, body }) => {
        const id = p.id === 'new' ? 0 : Number(p.id)
        if (!Number.isSafeInteger(id) || id < 0) return Response.json({ error: 'id: a reading id, or "new"' }, { status: 400 })
        return d.readings.template(await auth.user(), p.project, id, body.viewer)
      },
      { params: t.Object({ project, id: t.String({ maxLength: 20 }) }), body: t.Object({ viewer: t.Optional(t.Any()) }) },
    )
    .post(`${base}/:id/session`, async ({ auth, params: p, body }) => d.readings.startSession(await auth.user(), p.project, p.id, body.mode), { params: withId, body: t.Object({ mode }) })
    .post(`${base}/:id/results`, async ({ auth, params: p, body }) => d.readings.submit(await auth.user(), p.project, p.id, body), {
      params: withId,
      body: t.Object({
        sessionId: t.Numeric({ minimum: 1 }),
        caseKey: t.String({ minLength: 1, maxLength: 1000 }),
        repetition: t.Numeric({ minimum: 1 }),
        stage: t.Numeric({ minimum: 1 }),
        mode,
        values: t.Optional(t.Any()),
        annotations: t.Optional(t.Any()),
        activeSeconds: t.Number({ minimum: 0 }),
        startedAt: t.Union([t.Number(), t.String({ maxLength: 40 })]),
        // Count and size are checked by the service (413 with what to do); the body itself is at most 16 MB.
        rois: t.Optional(t.Array(t.Object({ name: t.String({ maxLength: 300 }), data: t.String() }))),
      }),
    })
    .get(
      `${base}/:id/results/:resultId/rois/:n`,
      async ({ auth, params: p }) => {
        const roi = await d.readings.resultRoi(await auth.user(), p.project, p.id, p.resultId, p.n)
        const file = Bun.file(roi.path)
        return new Response(file, {
          headers: {
            'content-type': 'application/gzip',
            'content-length': String(file.size),
            'content-disposition': `attachment; filename="${roi.name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 160)}"`,
            'cache-control': 'private, no-store',
          },
        })
      },
      { params: t.Object({ project, id: t.Numeric({ minimum: 1 }), resultId: t.Numeric({ minimum: 1 }), n: t.Numeric({ minimum: 1, maximum: 1000 }) }) },
    )
    .get(`${base}/:id/results`, async ({ auth, params: p }) => d.readings.results(await auth.user(), p.project, p.id), { params: withId })
    .get(
      `${base}/:id/results.csv`,
      async ({ auth, params: p }) => {
        const { name, csv } = await d.readings.csv(await auth.user(), p.project, p.id)
        const file = `${p.project}-reading-${p.id}-${name}`.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 120)
        return new Response(csv, { headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${file}.csv"`, 'cache-control': 'private, no-store' } })
      },
      { params: withId },
    )
    .post(`${base}/:id/restart`, async ({ auth, params: p, body }) => d.readings.restart(await auth.user(), p.project, p.id, body.mode), { params: withId, body: t.Object({ mode }) })
    .get(
      `${base}/:id/cases/:caseKey/files`,
      async ({ auth, params: p, query }) => d.readings.caseFiles(await auth.user(), p.project, p.id, p.caseKey, query.stage ?? 1),
      { params: withCase, query: t.Object({ stage: t.Optional(t.Numeric({ minimum: 1, maximum: 10 })) }) },
    )
    .get(
      `${base}/:id/cases/:caseKey/file`,
      async ({ auth, params: p, query }) => {
        const user = await auth.user()
        const relative = await d.readings.caseFilePath(user, p.project, p.id, p.caseKey, query.path)
        const file = await openProjectFile(d.archive, user, p.project, relative.split('/').map(encodeURIComponent).join('/'))
        const name = file.relative.split('/').pop()!
        return new Response(Bun.file(file.real), {
          headers: { 'content-type': contentTypeOf(name), 'content-length': String(file.stats.size), 'cache-control': 'private, no-store', 'content-security-policy': "sandbox; default-src 'none'" },
        })
      },
      { params: withCase, query: t.Object({ path: t.String({ minLength: 1, maxLength: 1000 }) }) },
    )
}
