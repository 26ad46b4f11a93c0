/**
 * A small tar reader for the browser (the importer's DICOM bundles are tar.gz written by tar-stream; GNU and
 * Debian `tar` write the same ustar layout): regular files only, with ustar prefixes, pax `path` records and GNU
 * long names. Directories, links and device entries are skipped.
 */
export interface TarMember {
  name: string
  data: Uint8Array
}

const BLOCK = 512
const text = (b: Uint8Array, off: number, len: number) => {
  let end = off
  while (end < off + len && b[end] !== 0) end++
  return new TextDecoder().decode(b.subarray(off, end))
}
/** Octal size/number fields; GNU base-256 (high bit set) for members over 8 GiB. */
function num(b: Uint8Array, off: number, len: number): number {
  if (b[off]! & 0x80) {
    let n = b[off]! & 0x7f
    for (let i = 1; i < len; i++) n = n * 256 + b[off + i]!
    return n
  }
  const s = text(b, off, len).trim()
  return s ? parseInt(s, 8) : 0
}

/** pax extended header: records `LEN key=value\n`; we need only `path`. */
function paxPath(data: Uint8Array): string | undefined {
  const s = new TextDecoder().decode(data)
  for (const m of s.matchAll(/\d+ path=([^\n]*)\n/g)) return m[1]
  return undefined
}

export function readTar(tar: Uint8Array): TarMember[] {
  const out: TarMember[] = []
  let off = 0
  let longName: string | undefined
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK)
    if (h.every((x) => x === 0)) break // end of archive: two zero blocks
    let sum = 0
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!
    if (sum !== num(h, 148, 8)) throw new Error(`not a tar archive (bad header checksum at byte ${off})`)
    const size = num(h, 124, 12)
    const type = String.fromCharCode(h[156] || 48)
    const magic = text(h, 257, 6)
    const prefix = magic.startsWith('ustar') ? text(h, 345, 155) : ''
    const start = off + BLOCK
    if (start + size > tar.length) throw new Error(`tar archive is truncated (member at byte ${off} needs ${size} bytes)`)
    const data = tar.subarray(start, start + size)
    off = start + Math.ceil(size / BLOCK) * BLOCK
    if (type === 'x') longName = paxPath(data) ?? longName
    else if (type === 'L') longName = text(data, 0, data.length)
    else if (type === 'g') continue
    else {
      const name = longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100))
      longName = undefined
      if (type === '0' || type === '7') out.push({ name, data })
    }
  }
  return out
}

/** Gunzips a stream with the browser's DecompressionStream into one buffer. */
export async function gunzip(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const gz = new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>
  return new Uint8Array(await new Response(body.pipeThrough(gz)).arrayBuffer())
}
