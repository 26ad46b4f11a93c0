// The viewer's local file cache for remote users (the profile's "local cache size for remote users"): archive files
// the viewer fetches are kept in the browser's Cache Storage up to the user's budget (GET /profile/local-cache, MB;
// 0 = off), the least recently used going first. A cached file is asked for again with If-None-Match: the server's
// 304 (a few hundred bytes) serves it from the cache, a changed file (200) replaces it, no answer (offline) serves the
// cached copy. Cache Storage exists only in secure contexts (HTTPS, or localhost): elsewhere files are fetched as usual.
import { withBase } from './base-path'

/** The Cache Storage cache holding the files, by absolute URL. */
export const FILE_CACHE = 'nora-files'
/** localStorage: absolute URL -> when it was last used (an increasing number), for least-recently-used eviction. */
const USED = 'nora-files-used'
/** The size of a cached body, kept with it (Cache Storage does not say). */
const SIZE = 'x-nora-size'

/** What the cache did in this page (read by the e2e test through window.noraFileCache). */
export const cacheStats = { hits: 0, misses: 0, stored: 0, evicted: 0 }

/** Progress of a fetch: bytes so far and in all (0 when unknown). */
export type FetchProgress = (got: number, total: number) => void

const available = () => typeof caches !== 'undefined' && typeof localStorage !== 'undefined'

let budget: Promise<number> | undefined

/** The user's budget in bytes, asked once per page; 0 when off, unknown or without Cache Storage. */
export function cacheBudget(): Promise<number> {
  budget ??= (async () => {
    if (!available()) return 0
    try {
      const res = await fetch(withBase('/profile/local-cache'), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      if (!res.ok) return 0
      const mb = Number(((await res.json()) as { mb?: unknown }).mb)
      const bytes = Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : 0
      // Turned off (0): what an earlier budget kept goes; a smaller budget evicts down to it.
      if (!bytes) await clearFileCache()
      else await evict(await caches.open(FILE_CACHE), bytes)
      return bytes
    } catch {
      return 0
    }
  })()
  return budget
}

function usedIndex(): Record<string, number> {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(USED) ?? '{}')
    return v && typeof v === 'object' ? (v as Record<string, number>) : {}
  } catch {
    return {}
  }
}

function saveIndex(index: Record<string, number>) {
  try {
    localStorage.setItem(USED, JSON.stringify(index))
  } catch {
    // storage full or refused: eviction falls back to the cache's own order
  }
}

/** Marks a URL as used now (strictly later than anything before, so two uses in one millisecond keep their order). */
function touch(url: string) {
  const index = usedIndex()
  const latest = Math.max(0, ...Object.values(index))
  index[url] = Math.max(Date.now(), latest + 1)
  saveIndex(index)
}

/** The body of a response, reporting progress while it arrives. */
async function readBody(res: Response, progress?: FetchProgress): Promise<ArrayBuffer> {
  if (!progress || !res.body) return res.arrayBuffer()
  const total = Number(res.headers.get('content-length') ?? 0)
  let got = 0
  const counted = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        got += chunk.length
        progress(got, total)
        c.enqueue(chunk)
      },
    }),
  )
  return new Response(counted).arrayBuffer()
}

const failed = (res: Response) => new Error(res.statusText || `HTTP ${res.status}`)

/**
 * The bytes of an archive file (`url` as fetch takes it, base path included): from the cache when the user has a
 * budget and the file is unchanged, else from the server (then kept when it fits the budget).
 */
export async function cachedBytes(url: string, progress?: FetchProgress): Promise<ArrayBuffer> {
  const limit = await cacheBudget()
  if (!limit) {
    const res = await fetch(url, { credentials: 'same-origin' })
    if (!res.ok) throw failed(res)
    return readBody(res, progress)
  }
  const key = new URL(url, location.href).href
  const cache = await caches.open(FILE_CACHE)
  const hit = await cache.match(key)
  if (hit) {
    const etag = hit.headers.get('etag')
    let res: Response | undefined
    try {
      res = await fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: etag ? { 'if-none-match': etag } : {} })
    } catch {
      // no answer (offline, server down): the cached copy
    }
    if (!res || res.status === 304) {
      cacheStats.hits++
      touch(key)
      const bytes = await hit.arrayBuffer()
      progress?.(bytes.byteLength, bytes.byteLength)
      return bytes
    }
    if (!res.ok) throw failed(res)
    return store(cache, key, res, limit, progress) // changed on the server
  }
  const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' })
  if (!res.ok) throw failed(res)
  cacheStats.misses++
  return store(cache, key, res, limit, progress)
}

/** Keeps a fetched file when it fits the budget, then evicts the least recently used files down to the budget. */
async function store(cache: Cache, key: string, res: Response, limit: number, progress?: FetchProgress): Promise<ArrayBuffer> {
  const bytes = await readBody(res, progress)
  if (bytes.byteLength > limit) return bytes
  const headers = new Headers({ 'content-type': res.headers.get('content-type') ?? 'application/octet-stream', [SIZE]: String(bytes.byteLength) })
  const etag = res.headers.get('etag')
  if (etag) headers.set('etag', etag)
  try {
    await cache.put(key, new Response(bytes, { headers }))
    touch(key)
    cacheStats.stored++
    await evict(cache, limit, key)
  } catch {
    // quota exceeded or storage refused: the file is used uncached
  }
  return bytes
}

/** What the cache holds: files and bytes. */
export async function fileCacheUsage(): Promise<{ files: number; bytes: number }> {
  if (!available()) return { files: 0, bytes: 0 }
  const cache = await caches.open(FILE_CACHE)
  let bytes = 0
  const keys = await cache.keys()
  for (const req of keys) bytes += Number((await cache.match(req))?.headers.get(SIZE) ?? 0)
  return { files: keys.length, bytes }
}

/** Deletes the least recently used files until the cache fits `limit` (never `keep`, the file just stored). */
async function evict(cache: Cache, limit: number, keep?: string): Promise<void> {
  const index = usedIndex()
  const entries: { url: string; size: number; used: number }[] = []
  for (const req of await cache.keys()) entries.push({ url: req.url, size: Number((await cache.match(req))?.headers.get(SIZE) ?? 0), used: index[req.url] ?? 0 })
  let total = entries.reduce((n, e) => n + e.size, 0)
  entries.sort((a, b) => a.used - b.used)
  for (const e of entries) {
    if (total <= limit) break
    if (e.url === keep) continue
    await cache.delete(e.url)
    delete index[e.url]
    total -= e.size
    cacheStats.evicted++
  }
  const kept = new Set(entries.map((e) => e.url))
  for (const url of Object.keys(index)) if (!kept.has(url) && url !== keep) delete index[url]
  saveIndex(index)
}

/** Empties this browser's file cache. */
export async function clearFileCache(): Promise<void> {
  if (!available()) return
  await caches.delete(FILE_CACHE)
  localStorage.removeItem(USED)
}

declare global {
  interface Window {
    noraFileCache?: { stats: typeof cacheStats; usage: typeof fileCacheUsage; budget: typeof cacheBudget }
  }
}
if (typeof window !== 'undefined') window.noraFileCache = { stats: cacheStats, usage: fileCacheUsage, budget: cacheBudget }
