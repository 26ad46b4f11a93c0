import { statfsSync } from 'node:fs'
import { InsufficientStorageError, TooLargeError } from '../../core/errors'

/** What an upload may take: its size (http.maxUploadMb) and the free space kept on the data disk (data.minFreeMb). */
export interface UploadLimits {
  maxBytes: number
  minFreeBytes: number
  /** The folder whose file system must keep minFreeBytes free (the data root). */
  root: string
}

export const MB = 1024 * 1024

/** Room for a multipart form's boundaries, part headers and small fields around the file. */
export const MULTIPART_SLACK = MB

/** Bun's own cap on a request body (maxRequestBodySize): the largest upload and its multipart framing. */
export const serverBodyLimit = (limits: Pick<UploadLimits, 'maxBytes'>) => limits.maxBytes + 2 * MULTIPART_SLACK

export function uploadLimits(conf: { http: { maxUploadMb: number }; data: { minFreeMb: number } }, dataRoot: string): UploadLimits {
  return { maxBytes: conf.http.maxUploadMb * MB, minFreeBytes: conf.data.minFreeMb * MB, root: dataRoot }
}

const mb = (bytes: number) => Math.floor(bytes / MB)

export function tooLarge(limits: UploadLimits, bytes?: number): TooLargeError {
  const size = bytes === undefined ? 'the upload is larger than' : `the upload is ${mb(bytes)} MB (${bytes} bytes); more than`
  return new TooLargeError(`${size} ${mb(limits.maxBytes)} MB, the most nora takes (http.maxUploadMb in conf/main.conf): split it, or raise the limit`)
}

/** Bytes free for nora on the file system holding `root`. */
export function freeBytes(root: string): number {
  const fs = statfsSync(root)
  return Number(fs.bavail) * Number(fs.bsize)
}

/** Throws 507 when writing `more` bytes would leave less than minFreeBytes free on the data disk. */
export function checkFreeSpace(limits: UploadLimits, more: number): void {
  if (limits.minFreeBytes <= 0) return
  const free = freeBytes(limits.root)
  if (free - more >= limits.minFreeBytes) return
  const need = more > 0 ? `, and this upload needs ${Math.max(1, mb(more))} MB more` : ''
  throw new InsufficientStorageError(
    `the data disk has ${mb(free)} MB free; nora keeps ${mb(limits.minFreeBytes)} MB free (data.minFreeMb in conf/main.conf)${need}: ` +
      `free space on the disk of ${limits.root}, or lower data.minFreeMb`,
  )
}

/** The body's declared length (Content-Length), or undefined when it is sent chunked. */
export function declaredLength(request: Request): number | undefined {
  const v = request.headers.get('content-length')
  if (v === null || !/^\d{1,16}$/.test(v.trim())) return undefined
  return Number(v)
}

/**
 * Checks before a byte of the body is read: a declared length over the limit is 413, one that would leave the disk
 * with less than the floor is 507 (and with no declared length, a disk already below the floor).
 */
export function checkDeclared(request: Request, limits: UploadLimits, multipart: boolean): number | undefined {
  const length = declaredLength(request)
  if (length !== undefined && length > limits.maxBytes + (multipart ? MULTIPART_SLACK : 0)) throw tooLarge(limits, length)
  checkFreeSpace(limits, length ?? 0)
  return length
}
