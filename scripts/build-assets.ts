// Packs every asset nora serves (src/http/asset-sources.ts) into public/dist/assets.pack: each one as it is, gzip
// (level 9) and brotli (quality 11), compressed once at build time. Compressed forms are cached by content hash in
// public/dist/cache/, so a rebuild recompresses only what changed (brotli 11 of the 2.3 MB viewer takes ~5 s).
// Pack layout: uint32 LE length of the JSON index, the index ({url: PackedAsset}), then the bytes it points to.
// Written beside and renamed into place, so concurrent builds never expose half a file.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { ASSET_SOURCES, type Encoding, type PackedAsset } from '../src/http/asset-sources'

const ROOT = join(import.meta.dir, '..')
export const ASSET_PACK = join(ROOT, 'public/dist/assets.pack')
const CACHE = join(ROOT, 'public/dist/cache')

/** A compressed form is kept only when it saves at least this share of the bytes. */
const WORTH = 0.9

function compressed(bytes: Uint8Array, sha: string, encoding: 'br' | 'gzip'): Uint8Array {
  const cached = join(CACHE, `${sha}.${encoding}`)
  if (existsSync(cached)) return readFileSync(cached)
  const out =
    encoding === 'br'
      ? brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } })
      : gzipSync(bytes, { level: 9 })
  writeFileSync(`${cached}.${process.pid}`, out)
  renameSync(`${cached}.${process.pid}`, cached)
  return out
}

/** True when the pack is missing or older than one of its sources. */
export function assetPackStale(): boolean {
  if (!existsSync(ASSET_PACK)) return true
  const built = statSync(ASSET_PACK).mtimeMs
  return ASSET_SOURCES.some((a) => !existsSync(join(ROOT, a.source)) || statSync(join(ROOT, a.source)).mtimeMs > built)
}

export function buildAssets(): { path: string; assets: number; raw: number; br: number; ms: number } {
  const started = performance.now()
  mkdirSync(CACHE, { recursive: true })
  const index: Record<string, PackedAsset> = {}
  const blobs: Uint8Array[] = []
  let offset = 0
  let raw = 0
  let br = 0
  const add = (bytes: Uint8Array): [number, number] => {
    blobs.push(bytes)
    offset += bytes.length
    return [offset - bytes.length, bytes.length]
  }
  for (const a of ASSET_SOURCES) {
    const file = join(ROOT, a.source)
    if (!existsSync(file)) throw new Error(`asset ${a.url}: ${a.source} is missing (bun install; bun run build makes public/js/viewer.js)`)
    const bytes = readFileSync(file)
    const sha = createHash('sha256').update(bytes).digest('hex')
    const ranges: PackedAsset['ranges'] = {}
    for (const enc of ['br', 'gzip'] as const) {
      const c = compressed(bytes, sha, enc)
      if (c.length < bytes.length * WORTH) ranges[enc] = add(c)
    }
    ranges.identity = add(bytes)
    index[a.url] = { type: a.type, hash: sha.slice(0, 16), ranges }
    raw += bytes.length
    br += (ranges.br ?? ranges.gzip ?? ranges.identity)[1]
  }
  // Offsets so far are relative to the data; shift them past the header once its length is known.
  let json = JSON.stringify(index)
  const shift = (n: number) => {
    for (const v of Object.values(index)) for (const k of Object.keys(v.ranges) as Encoding[]) v.ranges[k]![0] += n
  }
  let headerLength = 4 + Buffer.byteLength(json)
  shift(headerLength)
  json = JSON.stringify(index)
  // Shifting can lengthen the numbers; pad the index with spaces to the final length so offsets stay exact.
  while (4 + Buffer.byteLength(json) > headerLength) {
    shift(-headerLength)
    headerLength = 4 + Buffer.byteLength(json) + 16
    shift(headerLength)
    json = JSON.stringify(index)
  }
  json = json.padEnd(headerLength - 4, ' ')
  const head = Buffer.alloc(4)
  head.writeUInt32LE(Buffer.byteLength(json))
  const tmp = `${ASSET_PACK}.${process.pid}`
  writeFileSync(tmp, Buffer.concat([head, Buffer.from(json), ...blobs]))
  renameSync(tmp, ASSET_PACK)
  return { path: ASSET_PACK, assets: ASSET_SOURCES.length, raw, br, ms: performance.now() - started }
}

if (import.meta.main) {
  const r = buildAssets()
  console.log(`packed ${r.assets} assets into ${r.path}: ${(r.raw / 1e6).toFixed(2)} MB raw, ${(r.br / 1e6).toFixed(2)} MB as served with brotli, ${(r.ms / 1000).toFixed(1)} s`)
}
