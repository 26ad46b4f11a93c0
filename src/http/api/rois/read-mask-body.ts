import { gunzipSync } from 'node:zlib'
import { TooLargeError, UsageError } from '../../../core/errors'
import { declaredLength } from '../../upload/upload-limits'

/**
 * The body of an ROI save: exactly `voxels` bytes, raw (application/octet-stream) or gzip-compressed
 * (application/gzip, which inflates to exactly `voxels` bytes). A declared length that cannot fit is refused before
 * reading; the stream is read into a buffer of that bound and refused as soon as it runs over.
 */
export async function readMaskBody(request: Request, voxels: number, maxBytes: number): Promise<Uint8Array> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  const gzip = type === 'application/gzip' || type === 'application/x-gzip'
  if (!gzip && type !== 'application/octet-stream')
    throw new UsageError(`send the mask as application/octet-stream (${voxels} bytes, one per voxel, i fastest) or application/gzip, not ${type || 'without a Content-Type'}`)
  const bound = gzip ? Math.min(maxBytes, voxels + 65536) : voxels
  const declared = declaredLength(request)
  if (declared !== undefined && (gzip ? declared > bound : declared !== voxels)) throw wrongSize(voxels, declared, gzip)
  const body = await readBounded(request, bound, voxels, gzip)
  if (!gzip) {
    if (body.length !== voxels) throw wrongSize(voxels, body.length, false)
    return body
  }
  let raw: Uint8Array
  try {
    raw = gunzipSync(body, { maxOutputLength: voxels + 1 })
  } catch (e) {
    throw new UsageError(`the gzip body could not be inflated to ${voxels} bytes (${(e as Error).message})`)
  }
  if (raw.length !== voxels) throw wrongSize(voxels, raw.length, false, 'inflates to')
  return raw
}

function wrongSize(voxels: number, got: number, gzip: boolean, verb = 'is'): UsageError | TooLargeError {
  const what = `the mask must be exactly ${voxels} bytes (the reference image's voxels, one byte each)`
  if (gzip) return new TooLargeError(`${what}; the compressed body of ${got} bytes is larger than any such mask`)
  return got > voxels ? new TooLargeError(`${what}; the body ${verb} ${got} bytes`) : new UsageError(`${what}; the body ${verb} ${got} bytes`)
}

async function readBounded(request: Request, bound: number, voxels: number, gzip: boolean): Promise<Uint8Array> {
  const out = new Uint8Array(bound)
  let length = 0
  if (!request.body) return out.subarray(0, 0)
  const reader = request.body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (length + value.length > bound) throw wrongSize(voxels, length + value.length, gzip)
      out.set(value, length)
      length += value.length
    }
  } finally {
    reader.releaseLock()
  }
  return out.subarray(0, length)
}
