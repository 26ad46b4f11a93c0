import { Elysia, t } from 'elysia'
import type { AuthPlugin } from '../../plugins/auth'
import { receiveUpload } from '../../upload/receive-upload'
import type { UploadLimits } from '../../upload/upload-limits'
import { FileUploads, type FileUploadsDeps } from './service'

/**
 * Files dropped on the desktop: `POST /api/projects/:project/files?name=FILE&psid=PID%23SID&folder=F` (or
 * `&native=1` for DICOM), the file as the raw body (or multipart field `file`). The target is checked before a byte
 * is read (right, file name, study); the body is streamed to disk within http.maxUploadMb and data.minFreeMb. A NIfTI etc. answers 201 with its archive path and URL; DICOM files and
 * zip/tar archives answer 202 with the import's status URL.
 */
export function uploadsApi(d: FileUploadsDeps & { auth: AuthPlugin; uploadLimits: UploadLimits }) {
  const uploads = new FileUploads(d)
  return new Elysia().use(d.auth).post(
    '/api/projects/:project/files',
    async ({ request, auth, params, query }) => {
      const user = await auth.user()
      const target = { name: query.name, psid: query.psid, folder: query.folder || undefined, native: query.native === '1' || query.native === 'true' }
      await uploads.check(user, params.project, target)
      const upload = await receiveUpload(request, { dir: d.uploadsDir, limits: d.uploadLimits, fileField: 'file' })
      const result = await uploads.accept(user, params.project, target, upload)
      return Response.json(result, { status: result.kind === 'file' ? 201 : 202 })
    },
    {
      parse: 'none',
      params: t.Object({ project: t.String({ maxLength: 64 }) }),
      query: t.Object({
        name: t.String({ minLength: 1, maxLength: 255 }),
        psid: t.Optional(t.String({ maxLength: 300 })),
        folder: t.Optional(t.String({ maxLength: 300 })),
        native: t.Optional(t.String({ maxLength: 5 })),
      }),
    },
  )
}
