import { Elysia, t } from 'elysia'
import { AuthError } from '../../../core/errors'
import { uploadToDisk } from '../../../importer/upload-to-disk'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'
import { FileUploads } from './service'

/**
 * Files dropped on the desktop: `POST /api/projects/:project/files?name=FILE&psid=PID%23SID&folder=F` (or
 * `&native=1` for DICOM), the file as the raw body (or multipart field `file`). The target is checked before a byte
 * is read; the body is streamed to disk. A NIfTI etc. answers 201 with its archive path and URL; DICOM files and
 * zip/tar archives answer 202 with the import's status URL.
 */
export function uploadsApi(deps: HttpDeps) {
  const uploads = new FileUploads(deps)
  return new Elysia().post(
    '/api/projects/:project/files',
    async ({ request, params, query }) => {
      const caller = await callerOf(deps.auth, request)
      if (!caller) throw new AuthError('sign in, or send an API token (Authorization: Bearer nora_...)')
      const target = { name: query.name, psid: query.psid, folder: query.folder || undefined, native: query.native === '1' || query.native === 'true' }
      await uploads.check(caller.user, params.project, target)
      const result = await uploads.accept(caller.user, params.project, target, await uploadToDisk(request, deps.uploadsDir, 'file'))
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
