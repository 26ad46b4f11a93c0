import { Elysia, t } from 'elysia'
import { AnnotationStore, MAX_ANNOTATION_BYTES } from '../../../archive/annotation-store'
import type { ArchiveService } from '../../../archive/archive-service'
import { TooLargeError, UsageError } from '../../../core/errors'
import type { AuthPlugin } from '../../plugins/auth'
import { declaredLength } from '../../upload/upload-limits'

const fileUrl = (project: string, rel: string) => `/api/projects/${encodeURIComponent(project)}/files/${rel.split('/').map(encodeURIComponent).join('/')}`

/**
 * The Marker tool's save: `PUT /api/projects/:project/studies/:patient/:study/annotations/:name` with a nora marker
 * set as the body (application/json, src/markers' format, at most 16 MB). Right and names are checked before the
 * body is read. Writes `annotations/NAME.json` in the study; 201 when new, 200 when it replaced a set of that name.
 */
export function annotationsApi(d: { auth: AuthPlugin; archive: Pick<ArchiveService, 'open' | 'projectDir' | 'writer'> }) {
  const store = new AnnotationStore(d.archive)
  const id = t.String({ minLength: 1, maxLength: 255 })
  return new Elysia().use(d.auth).put(
    '/api/projects/:project/studies/:patient/:study/annotations/:name',
    async ({ request, auth, params }) => {
      const user = await auth.user()
      const prepared = await store.prepare(user, { project: params.project, patientsId: params.patient, studiesId: params.study, name: params.name })
      const body = await readJsonBody(request, MAX_ANNOTATION_BYTES)
      const saved = await store.save(user, prepared, body)
      return Response.json({ ...saved, url: fileUrl(params.project, saved.path) }, { status: saved.replaced ? 200 : 201 })
    },
    { parse: 'none', params: t.Object({ project: t.String({ minLength: 1, maxLength: 64 }), patient: id, study: id, name: id }) },
  )
}

/** A JSON body of at most `bound` bytes: a larger declared length is refused before reading, a longer stream as it runs over. */
async function readJsonBody(request: Request, bound: number): Promise<unknown> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') throw new UsageError(`send the marker set as application/json, not ${type || 'without a Content-Type'}`)
  const tooLarge = () => new TooLargeError(`the marker set is larger than ${bound} bytes`)
  const declared = declaredLength(request)
  if (declared !== undefined && declared > bound) throw tooLarge()
  const chunks: Uint8Array[] = []
  let length = 0
  if (request.body) {
    const reader = request.body.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        length += value.length
        if (length > bound) throw tooLarge()
        chunks.push(value)
      }
    } finally {
      reader.releaseLock()
    }
  }
  const bytes = new Uint8Array(length)
  let at = 0
  for (const c of chunks) {
    bytes.set(c, at)
    at += c.length
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch (e) {
    throw new UsageError(`the body is not JSON (${(e as Error).message})`)
  }
}
