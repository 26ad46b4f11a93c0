import { LengthRequiredError, type NoraError, TooLargeError } from '../../core/errors'
import { declaredLength, MB } from '../upload/upload-limits'

/** Routes that stream their body to disk themselves, within http.maxUploadMb and data.minFreeMb. */
const STREAMED = [/^\/index\.php$/, /^\/api\/projects\/[^/]+\/(imports|files)$/]
/** PUT routes that read their body themselves, bounded by what they expect (an ROI save: the reference's voxel count). */
const STREAMED_PUT = [/^\/api\/projects\/[^/]+\/studies\/[^/]+\/[^/]+\/rois\/[^/]+$/]

/** The largest body of any other route (forms and JSON, which are parsed in memory). */
export const FORM_BODY_LIMIT = 16 * MB

/**
 * Why the body of a request to a route that parses it in memory is refused before it is read: longer than
 * FORM_BODY_LIMIT (413), or sent chunked without a length (411), which would otherwise be buffered up to the
 * server's upload limit.
 */
export function bodyLimitProblem(request: Request): NoraError | undefined {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return undefined
  if (request.method === 'POST' && STREAMED.some((r) => r.test(new URL(request.url).pathname))) return undefined
  if (request.method === 'PUT' && STREAMED_PUT.some((r) => r.test(new URL(request.url).pathname))) return undefined
  const length = declaredLength(request)
  if (length !== undefined)
    return length > FORM_BODY_LIMIT ? new TooLargeError(`the request body is ${Math.ceil(length / MB)} MB; this route takes at most ${FORM_BODY_LIMIT / MB} MB (files go to the upload routes)`) : undefined
  if (request.headers.get('transfer-encoding')) return new LengthRequiredError('send the request body with a Content-Length (at most 16 MB here), not chunked')
  return undefined
}
