import { Elysia, t } from 'elysia'
import { AuthError, NotFoundError, UsageError } from '../../../core/errors'
import type { User } from '../../../core/types'
import { uploadToDisk } from '../../../importer/upload-to-disk'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'

/**
 * DICOM imports over HTTP: the clean API, and the seed's `index.php?project=P` with a `call` JSON field, so
 * that existing curl scripts keep working. The upload is streamed to disk; the import runs in the background.
 */
export function importsApi(deps: HttpDeps) {
  const accept = async (user: User, projectName: string, upload: Awaited<ReturnType<typeof uploadToDisk>>) => {
    try {
      const { id, project } = await deps.importer.create(user, projectName, `upload (${upload.bytes} bytes)`)
      deps.importQueue.accept({ id, project, userId: user.id || null, source: upload.path, cleanup: upload.discard }, () => deps.importer.run(id, project, upload.path).finally(upload.discard))
      return Response.json({ id, state: 'queued', bytes: upload.bytes, status: `/api/imports/${id}` }, { status: 202 })
    } catch (e) {
      upload.discard()
      throw e
    }
  }

  return new Elysia()
    .post(
      '/api/projects/:project/imports',
      async ({ request, params }) => {
        const caller = await callerOf(deps.auth, request)
        if (!caller) throw new AuthError('sign in, or send an API token (Authorization: Bearer nora_...)')
        await deps.archive.open(caller.user, params.project, 'write') // refuse before reading a byte
        return accept(caller.user, params.project, await uploadToDisk(request, deps.uploadsDir, '*'))
      },
      { parse: 'none', params: t.Object({ project: t.String({ maxLength: 64 }) }) },
    )
    .post(
      '/index.php',
      async ({ request, query }) => {
        if (!query.project) throw new UsageError('say which project: index.php?project=NAME')
        const upload = await uploadToDisk(request, deps.uploadsDir)
        try {
          let call: { cmd?: string; user?: string; token?: string }
          try {
            call = JSON.parse(upload.fields.call ?? '{}')
          } catch {
            throw new UsageError('the "call" field is not JSON: call={"cmd":"import","user":"U","token":"T"}')
          }
          if (call.cmd !== 'import') throw new UsageError(`unknown cmd "${call.cmd ?? ''}"; this endpoint takes {"cmd":"import",...}`)
          const user = call.token
            ? await deps.auth.userForToken(call.token.replace(/^@CRYPT@/, ''), call.user)
            : (await callerOf(deps.auth, request))?.user
          if (!user) throw new AuthError('give "user" and "token" in the call field (a token from nora --admin token USER)')
          return await accept(user, query.project, upload)
        } catch (e) {
          upload.discard()
          throw e
        }
      },
      { parse: 'none', query: t.Object({ project: t.Optional(t.String({ maxLength: 64 })) }) },
    )
    .get(
      '/api/imports/:id',
      async ({ request, params }) => {
        const caller = await callerOf(deps.auth, request)
        if (!caller) throw new AuthError('sign in, or send an API token (Authorization: Bearer nora_...)')
        const status = await deps.importer.status(params.id)
        const project = status && (await deps.archive.projectById(status.projectId))
        if (!status || !project || !(await deps.rights.can(caller.user, 'read', project))) throw new NotFoundError(`no import ${params.id}`)
        return { ...status, project: project.name }
      },
      { params: t.Object({ id: t.Numeric() }) },
    )
}
