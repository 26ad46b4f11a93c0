import { createWriteStream, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import busboy from 'busboy'
import { randomToken } from '../auth/secrets'
import { UsageError } from '../core/errors'

export interface Upload {
  /** The uploaded file on disk. */
  path: string
  bytes: number
  /** Other multipart fields (e.g. the seed's `call` JSON). */
  fields: Record<string, string>
  discard(): void
}

function counting(onBytes: (n: number) => void) {
  return new Transform({
    transform(chunk: Buffer, _e, done) {
      onBytes(chunk.length)
      done(null, chunk)
    },
  })
}

/**
 * Streams a request body to `dir` without holding it in memory: a multipart form's file part (`fileField`, or the
 * first file), or a raw body (application/zip, application/x-tar, application/gzip, application/octet-stream).
 */
export async function uploadToDisk(request: Request, dir: string, fileField = 'thefile'): Promise<Upload> {
  if (!request.body) throw new UsageError('the request has no body: send the archive as multipart field "thefile" or as the raw body')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${Date.now()}-${randomToken(8)}.upload`)
  const discard = () => rmSync(path, { force: true })
  const type = request.headers.get('content-type') ?? ''
  let bytes = 0
  const body = Readable.fromWeb(request.body as never)
  if (!type.startsWith('multipart/form-data')) {
    await pipeline(body, counting((n) => (bytes += n)), createWriteStream(path))
    return { path, bytes, fields: {}, discard }
  }
  const fields: Record<string, string> = {}
  let sawFile = false
  await new Promise<void>((resolve, reject) => {
    let bb: busboy.Busboy
    try {
      bb = busboy({ headers: { 'content-type': type }, limits: { fields: 20, fieldSize: 64 * 1024 } })
    } catch (e) {
      reject(new UsageError(`malformed multipart request: ${(e as Error).message}`))
      return
    }
    const writes: Promise<void>[] = []
    bb.on('field', (name, value) => (fields[name] = value))
    bb.on('file', (name, stream) => {
      if (sawFile || (name !== fileField && fileField !== '*' && name !== 'file')) {
        stream.resume()
        return
      }
      sawFile = true
      writes.push(pipeline(stream, counting((n) => (bytes += n)), createWriteStream(path)))
    })
    bb.on('error', (e) => reject(new UsageError(`malformed multipart request: ${(e as Error).message}`)))
    bb.on('close', () => Promise.all(writes).then(() => resolve(), reject))
    body.on('error', reject)
    body.pipe(bb)
  }).catch((e) => {
    discard()
    throw e
  })
  if (!sawFile) throw new UsageError(`no file in the form: send it as ${fileField}=@data.zip`)
  return { path, bytes, fields, discard }
}
