import { readFileSync } from 'node:fs'
import { FormatError } from '../formats/format-error'
import { detectFormat, readHeader, SNIFF_BYTES } from '../formats/registry'
import type { ImageHeader } from '../formats/header'

/** The header of an image file nora can read, or the reason it could not, or nothing for other files. */
export function headerOfFile(path: string, name: string): { header?: ImageHeader; problem?: string } {
  const bytes = readFileSync(path)
  if (!detectFormat(name, bytes.subarray(0, SNIFF_BYTES))) return {}
  try {
    return { header: readHeader(bytes, name) }
  } catch (e) {
    if (e instanceof FormatError) return { problem: e.message }
    throw e
  }
}
