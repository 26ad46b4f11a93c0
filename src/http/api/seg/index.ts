import { Elysia, t } from 'elysia'
import type { SegExportService } from '../../../pacs/seg-export'
import type { AuthPlugin } from '../../plugins/auth'

/**
 * A saved ROI as DICOM SEG (the ROI tool's "DICOM SEG" and "send to PACS"; `nora roi seg` on the command line):
 *
 * - `GET  /api/projects/:project/studies/:patient/:study/rois/:name/seg[?label=TEXT]`: the SEG file (read right)
 * - `POST /api/projects/:project/studies/:patient/:study/rois/:name/seg/push` `{ node, label? }`: C-STORE to a node
 *   of conf/pacs.conf (write right): `{ completed, failed, warning, failures, sopInstanceUid, frames }`
 *
 * The ROI is `PID/SID/rois/NAME.nii.gz`; its sidecar names the reference image whose kept DICOM series the SEG
 * references.
 */
export function segApi(d: { auth: AuthPlugin; segExport: SegExportService }) {
  const id = t.String({ minLength: 1, maxLength: 255 })
  const params = t.Object({ project: t.String({ minLength: 1, maxLength: 64 }), patient: id, study: id, name: id })
  const roiOf = (p: { patient: string; study: string; name: string }) => `${p.patient}/${p.study}/rois/${p.name}.nii.gz`
  return new Elysia()
    .use(d.auth)
    .get(
      '/api/projects/:project/studies/:patient/:study/rois/:name/seg',
      async ({ auth, params: p, query }) => {
        const seg = await d.segExport.export(await auth.user(), p.project, roiOf(p), { label: query.label })
        return new Response(seg.bytes as Uint8Array<ArrayBuffer>, {
          headers: {
            'content-type': 'application/dicom',
            'content-disposition': `attachment; filename="${seg.fileName.replace(/[^\w.-]/g, '_')}"`,
            'cache-control': 'no-store',
          },
        })
      },
      { params, query: t.Object({ label: t.Optional(t.String({ maxLength: 64 })) }) },
    )
    .post(
      '/api/projects/:project/studies/:patient/:study/rois/:name/seg/push',
      async ({ auth, params: p, body }) => {
        const r = await d.segExport.push(await auth.user(), body.node, p.project, roiOf(p), { label: body.label })
        return { completed: r.completed, failed: r.failed, warning: r.warning, failures: r.failures.map((f) => f.reason), sopInstanceUid: r.sopInstanceUid, frames: r.frames }
      },
      { params, body: t.Object({ node: t.String({ minLength: 1, maxLength: 64 }), label: t.Optional(t.String({ maxLength: 64 })) }) },
    )
}
