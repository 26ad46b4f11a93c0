import { once } from 'node:events'
import { mkdirSync, rmSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import busboy from 'busboy'
import { randomToken } from '../../auth/secrets'
import { NoraError, UsageError } from '../../core/errors'
import { safeJoin } from '../../core/safe-path'
import { checkDeclared, checkFreeSpace, MB, MULTIPART_SLACK, tooLarge, type UploadLimits } from './upload-limits'

/** Suffix of a request body being streamed to the uploads folder; whatever is left at start is an orphan. */
export const UPLOAD_SUFFIX = '.upload'

export interface Upload {
  /** The uploaded file on disk. */
  path: string
  bytes: number
  /** Other multipart fields (e.g. the seed's `call` JSON). */
  fields: Record<string, string>
  discard(): void
}

export interface ReceiveOptions {
  /** The folder the body is streamed into (data/uploads). */
  dir: string
  limits: UploadLimits
  /** The multipart field holding the file ("*": the first file part); a part named "file" is always taken. */
  fileField?: string
  /** When set, a body that is not multipart/form-data is refused with this message before it is read. */
  multipartOnly?: string
  /**
   * Runs when the first file part begins (or at the end, when none came), with the fields sent before it. It throws
   * to refuse the upload: then no byte of the file is written and the rest of the body is not read.
   */
  beforeFile?: (fields: Record<string, string>) => Promise<void>
}

/** How often (in bytes written) the free space of the data disk is checked again while a body streams. */
const SPACE_CHECK_EVERY = 8 * MB

/** One body being received: the bytes so far, the file it goes to, and the first failure, which ends it at once. */
class Receiving {
  failure?: unknown
  readonly failed: Promise<never>
  private rejectFailed!: (e: unknown) => void
  fh?: FileHandle
  bytes = 0
  total = 0
  private nextSpaceCheck = SPACE_CHECK_EVERY

  constructor(
    readonly path: string,
    readonly limits: UploadLimits,
    readonly declared: number | undefined,
    /** The most body bytes read (file plus multipart framing). */
    readonly cap: number,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject))
    this.failed.catch(() => {})
  }

  fail(e: unknown): void {
    if (this.failure !== undefined) return
    this.failure = e
    this.rejectFailed(e)
  }

  async openFile(): Promise<void> {
    this.fh = await open(this.path, 'wx', 0o640)
  }

  /** Writes one chunk of the file, within the size limit and above the free-space floor. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.bytes + chunk.length > this.limits.maxBytes) throw tooLarge(this.limits)
    if (this.bytes + chunk.length >= this.nextSpaceCheck) {
      this.nextSpaceCheck += SPACE_CHECK_EVERY
      checkFreeSpace(this.limits, this.declared === undefined ? chunk.length : Math.max(chunk.length, this.declared - this.total))
    }
    for (let at = 0; at < chunk.length; ) at += (await this.fh!.write(chunk, at, chunk.length - at)).bytesWritten
    this.bytes += chunk.length
  }

  /** Reads the body chunk by chunk into `onChunk` until it ends; a failure elsewhere stops it at once. */
  async pump(reader: ReadableStreamDefaultReader<Uint8Array>, onChunk: (chunk: Uint8Array) => Promise<unknown> | undefined): Promise<void> {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>
      try {
        next = await Promise.race([reader.read(), this.failed])
      } catch (e) {
        if (this.failure !== undefined) throw this.failure
        throw interrupted(e)
      }
      if (next.done) {
        // A client that goes away mid-body can end the stream without an error: a declared length not reached is a
        // cut-off body, never a complete one.
        if (this.declared !== undefined && this.total < this.declared) throw interrupted(`${this.total} of ${this.declared} bytes arrived`)
        return
      }
      this.total += next.value.length
      if (this.total > this.cap) throw tooLarge(this.limits)
      const pending = onChunk(next.value)
      if (pending) await Promise.race([pending, this.failed])
    }
  }
}

function interrupted(e: unknown): NoraError {
  return new UsageError(`the upload was interrupted before its end (${(e as Error)?.message ?? e}); nothing was kept, send it again`)
}

/**
 * Streams a request body to a new file in `opts.dir` without holding it in memory: a multipart form's file part, or
 * a raw body (application/zip, application/x-tar, application/gzip, application/octet-stream). The declared length,
 * the bytes as they arrive and the free space of the data disk are checked against `opts.limits`; on any failure
 * (limit, refusal by beforeFile, malformed form, client gone) the rest of the body is not read and the partial file
 * is removed before the error is thrown.
 */
export async function receiveUpload(request: Request, opts: ReceiveOptions): Promise<Upload> {
  const type = request.headers.get('content-type') ?? ''
  const multipart = /^multipart\/form-data/i.test(type)
  if (opts.multipartOnly && !multipart) throw new UsageError(opts.multipartOnly)
  if (!request.body) throw new UsageError('the request has no body: send the archive as multipart field "thefile" or as the raw body')
  const declared = checkDeclared(request, opts.limits, multipart)
  mkdirSync(opts.dir, { recursive: true })
  const path = safeJoin(opts.dir, `${Date.now()}-${randomToken(8)}${UPLOAD_SUFFIX}`)
  const discard = () => rmSync(path, { force: true })
  const r = new Receiving(path, opts.limits, declared, opts.limits.maxBytes + (multipart ? MULTIPART_SLACK : 0))
  const reader = request.body.getReader()
  let settle: Promise<unknown> = Promise.resolve()
  let fileStream: Readable | undefined
  let bb: busboy.Busboy | undefined
  const fields: Record<string, string> = {}
  try {
    if (!multipart) {
      await r.openFile()
      await r.pump(reader, (chunk) => r.write(chunk))
    } else {
      try {
        bb = busboy({ headers: { 'content-type': type }, limits: { fields: 20, fieldSize: 64 * 1024, parts: 100 } })
      } catch (e) {
        throw new UsageError(`malformed multipart request: ${(e as Error).message}`)
      }
      const form = bb
      const fileField = opts.fileField ?? 'thefile'
      let gate: Promise<void> | undefined
      const passGate = () => (gate ??= opts.beforeFile ? opts.beforeFile({ ...fields }) : Promise.resolve())
      form.on('field', (name, value) => (fields[name] = value))
      form.on('file', (name, stream) => {
        const passed = passGate()
        if (fileStream || (name !== fileField && fileField !== '*' && name !== 'file')) {
          passed.then(() => stream.resume(), () => stream.destroy())
          return
        }
        fileStream = stream
        settle = (async () => {
          await passed
          if (r.failure !== undefined) return
          await r.openFile()
          for await (const chunk of stream) {
            if (r.failure !== undefined) return
            await r.write(chunk as Buffer)
          }
        })().catch((e) => r.fail(e))
      })
      form.on('error', (e) => r.fail(new UsageError(`malformed multipart request: ${(e as Error).message}`)))
      const closed = once(form, 'close')
      closed.catch(() => {}) // a form error rejects it; r.fail has it already
      await r.pump(reader, (chunk) => (form.write(chunk) ? undefined : once(form, 'drain')))
      form.end()
      await Promise.race([closed, r.failed])
      await Promise.race([settle, r.failed])
      if (r.failure !== undefined) throw r.failure
      if (!fileStream) {
        await passGate()
        throw new UsageError(`no file in the form: send it as ${fileField === '*' ? 'thefile' : fileField}=@data.zip`)
      }
    }
    await r.fh?.close()
    r.fh = undefined
    return { path, bytes: r.bytes, fields, discard }
  } catch (e) {
    r.fail(e)
    reader.cancel().catch(() => {})
    fileStream?.destroy()
    bb?.destroy()
    await settle
    await r.fh?.close().catch(() => {})
    discard()
    throw r.failure
  }
}
