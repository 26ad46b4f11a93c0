import { Elysia, t } from 'elysia'
import type { ArchiveService } from '../../../archive/archive-service'
import { TransformStore } from '../../../archive/transform-store'
import type { AuthPlugin } from '../../plugins/auth'

const fileUrl = (project: string, rel: string) => `/api/projects/${encodeURIComponent(project)}/files/${rel.split('/').map(encodeURIComponent).join('/')}`

const num = t.Number()
const vec3 = t.Tuple([num, num, num])
const marker = t.Object({ centre: vec3, vector: vec3, sigma: t.Number({ exclusiveMinimum: 0 }) })
const markers = t.Array(marker, { maxItems: 1000 })
const grid = t.Object({ dims: t.Array(t.Integer({ minimum: 1 }), { minItems: 3, maxItems: 3 }), affine: t.Array(num, { minItems: 16, maxItems: 16 }) })

/** The body of an APPLY (src/archive/transform-store.ts TransformRequest, without the project). */
export const transformBody = t.Object({
  image: t.String({ minLength: 1, maxLength: 2000 }),
  matrix: t.Optional(t.Array(num, { minItems: 16, maxItems: 16 })),
  parameters: t.Optional(t.Unknown()),
  warp: t.Optional(
    t.Object({
      dumped: t.Optional(markers),
      markers: t.Optional(markers),
      pairs: t.Optional(t.Array(t.Object({ moving: t.Array(vec3, { maxItems: 2000 }), fixed: t.Array(vec3, { maxItems: 2000 }), sigma: t.Number({ exclusiveMinimum: 0 }) }), { maxItems: 20 })),
    }),
  ),
  grid: t.Optional(
    t.Union([
      t.Object({ kind: t.Literal('world'), voxel: t.Number({ exclusiveMinimum: 0 }), grids: t.Array(grid, { maxItems: 64 }) }),
      t.Object({ kind: t.Literal('image'), path: t.String({ minLength: 1, maxLength: 2000 }) }),
    ]),
  ),
  interpolation: t.Optional(t.Union([t.Literal('linear'), t.Literal('nearest')])),
  target: t.Union([t.Literal('new'), t.Literal('same')]),
  name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
})

/**
 * The Navigation tool's APPLY: `POST /api/projects/:project/transforms` (JSON, transformBody) moves an image of the
 * project (write right): its header (a matrix alone), or resampled onto a grid (WORLD or an image's matrix), or
 * warped by displacement markers / keypoint pairs (with the field written beside it). 201 with the written paths
 * and their URLs.
 */
export function transformsApi(d: { auth: AuthPlugin; archive: Pick<ArchiveService, 'open' | 'projectDir' | 'writer'> }) {
  const store = new TransformStore(d.archive)
  return new Elysia().use(d.auth).post(
    '/api/projects/:project/transforms',
    async ({ auth, params, body }) => {
      const user = await auth.user()
      const done = await store.apply(user, { ...body, project: params.project })
      const urls = { url: fileUrl(params.project, done.path), sidecarUrl: fileUrl(params.project, done.sidecar), ...(done.field ? { fieldUrl: fileUrl(params.project, done.field) } : {}) }
      return Response.json({ ...done, ...urls }, { status: 201 })
    },
    { params: t.Object({ project: t.String({ minLength: 1, maxLength: 64 }) }), body: transformBody },
  )
}
