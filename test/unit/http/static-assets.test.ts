import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliDecompressSync } from 'node:zlib'
import { ASSET_SOURCES } from '../../../src/http/asset-sources'
import { assetUrl, serveAsset, withHashedAssets } from '../../../src/http/static-assets'
import { renderPage } from '../../../src/http/templates'

const REPO = join(import.meta.dir, '../../..')
const get = (path: string, headers: Record<string, string> = {}) => serveAsset(new Request(`http://nora${path}`, { headers }))!
const gunzip = (bytes: Uint8Array) => {
  const r = Bun.spawnSync(['gzip', '-dc'], { stdin: bytes })
  expect(r.exitCode).toBe(0)
  return new Uint8Array(r.stdout)
}

describe('static assets from the precompressed pack', () => {
  test('every asset comes back byte-identical in each encoding the browser accepts', async () => {
    for (const a of ASSET_SOURCES) {
      const source = new Uint8Array(readFileSync(join(REPO, a.source)))
      const br = get(a.url, { 'accept-encoding': 'gzip, deflate, br' })
      const brBytes = new Uint8Array(await br.arrayBuffer())
      const decoded = br.headers.get('content-encoding') === 'br' ? new Uint8Array(brotliDecompressSync(brBytes)) : br.headers.get('content-encoding') === 'gzip' ? gunzip(brBytes) : brBytes
      expect(Buffer.compare(decoded, source)).toBe(0)
      const gz = get(a.url, { 'accept-encoding': 'gzip' })
      expect(gz.headers.get('content-encoding')).not.toBe('br')
      const gzBytes = new Uint8Array(await gz.arrayBuffer())
      expect(Buffer.compare(gz.headers.get('content-encoding') === 'gzip' ? gunzip(gzBytes) : gzBytes, source)).toBe(0)
      const plain = get(a.url)
      expect(plain.headers.get('content-encoding')).toBeNull()
      expect(Buffer.compare(new Uint8Array(await plain.arrayBuffer()), source)).toBe(0)
      expect(plain.headers.get('content-type')).toBe(a.type)
    }
  })

  test('the viewer bundle is sent brotli-compressed to under a third of its size', async () => {
    const r = get('/static/js/viewer.js', { 'accept-encoding': 'br' })
    expect(r.headers.get('content-encoding')).toBe('br')
    expect((await r.arrayBuffer()).byteLength).toBeLessThan(readFileSync(join(REPO, 'public/js/viewer.js')).length / 3)
    expect(get('/static/js/viewer.js', { 'accept-encoding': 'br;q=0, gzip' }).headers.get('content-encoding')).toBe('gzip')
  })

  test('hashed URLs are immutable; plain URLs revalidate by ETag and answer 304', () => {
    const hashed = assetUrl('/static/js/viewer.js')
    expect(hashed).toMatch(/^\/static\/js\/viewer\.[0-9a-f]{16}\.js$/)
    expect(get(hashed).headers.get('cache-control')).toContain('immutable')
    const plain = get('/static/js/viewer.js')
    expect(plain.headers.get('cache-control')).toBe('no-cache')
    expect(get('/static/js/viewer.js', { 'if-none-match': plain.headers.get('etag')! }).status).toBe(304)
    expect(serveAsset(new Request('http://nora/static/js/nothing.js'))).toBeUndefined()
    expect(serveAsset(new Request('http://nora/static/js/viewer.0000000000000000.js'))).toBeUndefined()
  })

  test('pages name assets by their hashed URLs, page scripts included', () => {
    expect(withHashedAssets('<script src="/static/js/desktop.js" defer></script><a href="/static/none.css">')).toBe(
      `<script src="${assetUrl('/static/js/desktop.js')}" defer></script><a href="/static/none.css">`,
    )
    const html = renderPage('gridstats', { title: 't', site: 's', pageScripts: ['/static/js/gridstats.js'] })
    expect(html).not.toMatch(/(src|href)="(\/|&#x2F;)static(\/|&#x2F;)[a-z/&#x2F;-]+\.(js|css)"/)
    expect(html).toContain(assetUrl('/static/css/nora.css'))
  })
})
