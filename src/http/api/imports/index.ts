import { Elysia, t } from 'elysia'
import type { ArchiveService } from '../../../archive/archive-service'
import type { AuthService } from '../../../auth/auth-service'
import { AuthError, NotFoundError, UsageError } from '../../../core/errors'
import type { User } from '../../../core/types'
import type { ImportService } from '../../../importer/import-service'
import type { AuthPlugin } from '../../plugins/auth'
import { receiveUpload, type Upload } from '../../upload/receive-upload'
import type { UploadLimits } from '../../upload/upload-limits'
import { CALL_EXAMPLE, parseLegacyCall } from './legacy-call'

/**
 * DICOM imports over HTTP: the clean API, and the seed's `index.php?project=P` with a `call` JSON field, so
 * that existing curl scripts keep working. Who calls and their write right are checked before a byte of the file
 * is written (for index.php: from the call field, which must come before the file); the upload is streamed to disk
 * within http.maxUploadMb and data.minFreeMb; the import runs in the background.
 */
export function importsApi(d: {
  auth: AuthPlugin
  /** The seed's call field names a user and a token. */
  tokens: Pick<AuthService, 'userForToken'>
  archive: Pick<ArchiveService, 'open' | 'projectById'>
  importer: Pick<ImportService, 'submit' | 'status'>
  uploadsDir: string
  uploadLimits: UploadLimits
}) {
  const { uploadsDir: dir, uploadLimits: limits } = d
  const accept = async (user: User, projectName: string, upload: Upload) => {
    const { id } = await d.importer.submit(user, projectName, upload.path, { label: `upload (${upload.bytes} bytes)`, cleanup: upload.discard })
    return Response.json({ id, state: 'queued', bytes: upload.bytes, status: `/api/imports/${id}` }, { status: 202 })
  }

  return new Elysia()
    .use(d.auth)
    .post(
      '/api/projects/:project/imports',
      async ({ request, auth, params }) => {
        const { user } = await auth.project(params.project, 'write') // refuse before reading a byte
        return accept(user, params.project, await receiveUpload(request, { dir, limits, fileField: '*' }))
      },
      { parse: 'none', params: t.Object({ project: t.String({ maxLength: 64 }) }) },
    )
    .post(
      '/index.php',
      async ({ request, auth, query }) => {
        const projectName = query.project
        if (!projectName) throw new UsageError('say which project: index.php?project=NAME')
        let user: User | undefined
        const upload = await receiveUpload(request, {
          dir,
          limits,
          multipartOnly: `index.php takes a multipart form, the call field first and then the file: ${CALL_EXAMPLE}`,
          // The call is checked when the file part begins: a file before a valid call is refused unread.
          beforeFile: async (fields) => {
            const call = parseLegacyCall(fields.call)
            user = call.token !== undefined ? await d.tokens.userForToken(call.token.replace(/^@CRYPT@/, ''), call.user) : (await auth.caller())?.user
            if (!user && !call.user) throw new UsageError(`the "call" field has no "user": ${CALL_EXAMPLE}`)
            if (!user) throw new AuthError('give "user" and "token" in the call field (a token from nora --admin token USER)')
            await d.archive.open(user, projectName, 'write')
          },
        })
        return await accept(user!, projectName, upload)
      },
      { parse: 'none', query: t.Object({ project: t.Optional(t.String({ maxLength: 64 })) }) },
    )
    .get(
      '/api/imports/:id',
      async ({ auth, params }) => {
        await auth.user()
        const status = await d.importer.status(params.id)
        const project = status && (await d.archive.projectById(status.projectId))
        if (!status || !project || !(await auth.can('read', project))) throw new NotFoundError(`no import ${params.id}`)
        return { ...status, project: project.name }
      },
      { params: t.Object({ id: t.Numeric() }) },
    )
}
