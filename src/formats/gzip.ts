import { constants, gunzipSync } from 'node:zlib'
import { FormatError } from './format-error'

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

/** First compressed prefix tried; deflate expands at most ~1032x, so this yields <= ~1 MiB. */
const FIRST_PREFIX = 1024

/**
 * The first `need` bytes (or more) of a gzip stream, decompressing only a growing prefix of the
 * compressed input: reading a .nii.gz header never inflates the whole volume. Returns fewer than
 * `need` bytes only when the stream itself is shorter (a truncated file or a short payload).
 */
export function gunzipPrefix(bytes: Uint8Array, need: number, file: string): Uint8Array {
  for (let take = FIRST_PREFIX; ; take *= 4) {
    const input = bytes.subarray(0, Math.min(take, bytes.length))
    let out: Uint8Array
    try {
      // Z_SYNC_FLUSH: a prefix that stops mid-stream yields what it decodes instead of throwing.
      out = gunzipSync(input, { finishFlush: constants.Z_SYNC_FLUSH })
    } catch (e) {
      throw new FormatError(file, 'gzip', `corrupt compressed data (${(e as Error).message})`)
    }
    if (out.length >= need || input.length === bytes.length) {
      return new Uint8Array(out.buffer, out.byteOffset, out.length)
    }
  }
}
