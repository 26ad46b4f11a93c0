import { latin1, startsWith } from './byte-reader'
import { FormatError } from './format-error'
import { readGifti } from './gifti'
import { gunzipPrefix, isGzip } from './gzip'
import type { FormatName, ImageHeader } from './header'
import { readMgh } from './mgh'
import { readNifti } from './nifti'
import { NIFTI1_SIZE, NIFTI2_SIZE } from './nifti-fields'
import { readNrrd } from './nrrd'
import { readStl } from './stl'
import { readTck } from './tck'
import { readTrk } from './trk'

export type HeaderReader = (bytes: Uint8Array, name: string) => ImageHeader

/** One reader per format. */
export const READERS: Record<FormatName, HeaderReader> = {
  nifti1: readNifti,
  nifti2: readNifti,
  nrrd: readNrrd,
  mgh: readMgh,
  gifti: readGifti,
  tck: readTck,
  trk: readTrk,
  stl: readStl,
}

/** Extensions (longest first wins), lower case. */
const EXTENSIONS: [string, FormatName][] = [
  ['.nii.gz', 'nifti1'],
  ['.nii', 'nifti1'],
  ['.hdr', 'nifti1'],
  ['.nrrd', 'nrrd'],
  ['.nhdr', 'nrrd'],
  ['.mgh', 'mgh'],
  ['.mgz', 'mgh'],
  ['.gii', 'gifti'],
  ['.tck', 'tck'],
  ['.trk', 'trk'],
  ['.stl', 'stl'],
]

/** How many leading bytes detectFormat looks at (pass at least this many when you can). */
export const SNIFF_BYTES = 1024

/**
 * The format of a file from its name and first bytes: unambiguous magic bytes first (so a
 * misnamed file is still recognised), then the extension. A gzip stream is sniffed inside.
 * Returns undefined for anything we do not take (readHeader throws a FormatError for those).
 */
export function detectFormat(name: string, firstBytes: Uint8Array): FormatName | undefined {
  const inner = isGzip(firstBytes) ? safeGunzipPrefix(firstBytes, name) : firstBytes
  return magicFormat(inner) ?? extensionFormat(name)
}

/** Reads the header of any supported format; unknown formats throw FormatError(name, 'format'). */
export function readHeader(bytes: Uint8Array, name: string): ImageHeader {
  const format = detectFormat(name, bytes.subarray(0, SNIFF_BYTES))
  if (!format) {
    throw new FormatError(
      name,
      'format',
      `not a recognised image (expected ${EXTENSIONS.map(([e]) => e).join(', ')} or their magic bytes)`,
    )
  }
  return READERS[format](bytes, name)
}

function magicFormat(b: Uint8Array): FormatName | undefined {
  if (startsWith(b, 'NRRD000')) return 'nrrd'
  if (startsWith(b, 'mrtrix tracks')) return 'tck'
  if (startsWith(b, 'TRACK\0')) return 'trk'
  const nifti = niftiMagic(b)
  if (nifti) return nifti
  const text = latin1(b.subarray(0, SNIFF_BYTES))
  if (/^(\uFEFF|\xEF\xBB\xBF)?\s*<\?xml[\s\S]*<GIFTI[\s>]/.test(text) || /^\s*<GIFTI[\s>]/.test(text)) return 'gifti'
  return undefined
}

function niftiMagic(b: Uint8Array): FormatName | undefined {
  if (b.length < 4) return undefined
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const sizes = [view.getInt32(0, true), view.getInt32(0, false)]
  if (sizes.includes(NIFTI1_SIZE) && (startsWith(b, 'n+1\0', 344) || startsWith(b, 'ni1\0', 344))) return 'nifti1'
  if (sizes.includes(NIFTI2_SIZE) && (startsWith(b, 'n+2\0', 4) || startsWith(b, 'ni2\0', 4))) return 'nifti2'
  return undefined
}

function extensionFormat(name: string): FormatName | undefined {
  const lower = name.toLowerCase()
  return EXTENSIONS.find(([ext]) => lower.endsWith(ext))?.[1]
}

/** Sniffing only: a corrupt stream just means "no magic"; the reader reports it properly. */
function safeGunzipPrefix(bytes: Uint8Array, name: string): Uint8Array {
  try {
    return gunzipPrefix(bytes, NIFTI2_SIZE, name)
  } catch {
    return new Uint8Array(0)
  }
}
