import { Elysia, t } from 'elysia'
import { RoiStore, type RoiStoreDeps } from '../../../archive/roi-store'
import type { AuthPlugin } from '../../plugins/auth'
import { readMaskBody } from './read-mask-body'

const fileUrl = (project: string, rel: string) => `/api/projects/${encodeURIComponent(project)}/files/${rel.split('/').map(encodeURIComponent).join('/')}`

/**
 * The ROI tool's save: `PUT /api/projects/:project/studies/:patient/:study/rois/:name?reference=PID/SID/DIR/IMG.nii.gz`
 * with the mask as the body (application/octet-stream: exactly nx*ny*nz bytes of the reference's grid, i fastest;
 * or the same gzip-compressed as application/gzip). Right, names and reference are checked before the body is
 * read. Writes `rois/NAME.nii.gz` (the reference's geometry) and `rois/NAME.json` in the study; 201 when new, 200
 * when it replaced a saved ROI of that name.
 */
export function roisApi(d: { auth: AuthPlugin; archive: RoiStoreDeps['archive']; maxBytes: number }) {
  const store = new RoiStore({ archive: d.archive, maxBytes: d.maxBytes })
  const id = t.String({ minLength: 1, maxLength: 255 })
  return new Elysia().use(d.auth).put(
    '/api/projects/:project/studies/:patient/:study/rois/:name',
    async ({ request, auth, params, query }) => {
      const user = await auth.user()
      const prepared = await store.prepare(user, { project: params.project, patientsId: params.patient, studiesId: params.study, name: params.name, reference: query.reference })
      const mask = await readMaskBody(request, prepared.voxels, d.maxBytes)
      const saved = await store.save(user, prepared, mask)
      return Response.json({ ...saved, url: fileUrl(params.project, saved.path) }, { status: saved.replaced ? 200 : 201 })
    },
    {
      parse: 'none',
      params: t.Object({ project: t.String({ minLength: 1, maxLength: 64 }), patient: id, study: id, name: id }),
      query: t.Object({ reference: t.String({ minLength: 1, maxLength: 2000 }) }),
    },
  )
}
