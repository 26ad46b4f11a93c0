/**
 * Every file nora serves under /static/: its URL, where the build finds it (relative to the repository) and its
 * content type. scripts/build-assets.ts packs them, precompressed, into public/dist/assets.pack (embedded in the
 * binary); src/http/static-assets.ts serves the pack. Pages name assets by these URLs; the server rewrites them to
 * content-hashed URLs that are cached forever.
 */
export interface AssetSource {
  url: string
  source: string
  type: string
}

const JS = 'text/javascript; charset=utf-8'

export const ASSET_SOURCES: AssetSource[] = [
  { url: '/static/vendor/htmx.min.js', source: 'node_modules/htmx.org/dist/htmx.min.js', type: JS },
  { url: '/static/vendor/alpine-csp.min.js', source: 'node_modules/@alpinejs/csp/dist/cdn.min.js', type: JS },
  { url: '/static/css/nora.css', source: 'public/css/nora.css', type: 'text/css; charset=utf-8' },
  { url: '/static/css/theme.css', source: 'public/css/theme.css', type: 'text/css; charset=utf-8' },
  { url: '/static/css/reading.css', source: 'public/css/reading.css', type: 'text/css; charset=utf-8' },
  { url: '/static/js/upload.js', source: 'public/js/upload.js', type: JS },
  { url: '/static/js/desktop.js', source: 'public/js/desktop.js', type: JS },
  { url: '/static/js/viewer.js', source: 'public/js/viewer.js', type: JS },
  { url: '/static/js/dicom-worker.js', source: 'public/js/dicom-worker.js', type: JS },
  { url: '/static/js/dcm2niix.wasm', source: 'node_modules/@niivue/dcm2niix/dist/dcm2niix.jpeg.wasm', type: 'application/wasm' },
  { url: '/static/js/pacs.js', source: 'public/js/pacs.js', type: JS },
  { url: '/static/js/batchtool.js', source: 'public/js/batchtool.js', type: JS },
  { url: '/static/js/gridstats.js', source: 'public/js/gridstats.js', type: JS },
  { url: '/static/js/profile.js', source: 'public/js/profile.js', type: JS },
  { url: '/static/js/theme.js', source: 'public/js/theme.js', type: JS },
]

/** The encodings a pack holds for each asset, best first. */
export const ENCODINGS = ['br', 'gzip', 'identity'] as const
export type Encoding = (typeof ENCODINGS)[number]

/** One asset in the pack: byte ranges of each encoding, and the first 16 hex digits of the sha256 of its content. */
export interface PackedAsset {
  type: string
  hash: string
  ranges: Partial<Record<Encoding, [offset: number, length: number]>>
}

/** `/static/js/viewer.js` with hash h -> `/static/js/viewer.h.js`. */
export function hashedUrl(url: string, hash: string): string {
  const dot = url.lastIndexOf('.')
  return dot > url.lastIndexOf('/') ? `${url.slice(0, dot)}.${hash}${url.slice(dot)}` : `${url}.${hash}`
}
