// Bundles the browser TypeScript (src/web) into public/js (gitignored): NiiVue and our viewer in one self-contained
// script (viewer.js), and one small script per page (PAGE_BUNDLES: the desktop's table, drop zone and autoloaders,
// the upload form, PACS, Batchtool, Gridstats). `bun run build` runs it before compiling ./nora, which embeds the result
// (src/http/static-assets.ts). Written beside and renamed into place, so concurrent builds never expose half a file.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(import.meta.dir, '..')
export const VIEWER_BUNDLE = join(ROOT, 'public/js/viewer.js')
export const DICOM_WORKER_BUNDLE = join(ROOT, 'public/js/dicom-worker.js')

/** The page scripts: output in public/js -> entry in src/web. Their URLs are /static/js/<output> (src/http/asset-sources.ts). */
export const PAGE_BUNDLES: Record<string, string> = {
  'desktop.js': 'src/web/desktop/main.ts',
  'upload.js': 'src/web/pages/upload.ts',
  'pacs.js': 'src/web/pages/pacs.ts',
  'batchtool.js': 'src/web/pages/batchtool.ts',
  'gridstats.js': 'src/web/pages/gridstats.ts',
  'profile.js': 'src/web/pages/profile.ts',
  'theme.js': 'src/web/pages/theme.ts',
}

/** True when a page bundle is missing (a fresh clone). */
export function pageBundlesMissing(): boolean {
  return Object.keys(PAGE_BUNDLES).some((name) => !existsSync(join(ROOT, 'public/js', name)))
}

/** Builds the page scripts (each an IIFE; a few KB, well under a second). */
export async function buildPages(): Promise<void> {
  const tmpDir = join(ROOT, 'public/js', `.build-pages-${process.pid}-${Date.now()}`)
  mkdirSync(tmpDir, { recursive: true })
  try {
    for (const [name, entry] of Object.entries(PAGE_BUNDLES)) {
      const result = await Bun.build({
        entrypoints: [join(ROOT, entry)],
        outdir: tmpDir,
        naming: name,
        target: 'browser',
        format: 'iife',
        minify: process.env.NORA_WEB_NOMINIFY !== '1',
        sourcemap: 'none',
      })
      if (!result.success) throw new Error(`${name} bundle failed:\n${result.logs.map(String).join('\n')}`)
    }
    for (const name of Object.keys(PAGE_BUNDLES)) renameSync(join(tmpDir, name), join(ROOT, 'public/js', name))
  } finally {
    rmSync(tmpDir, { recursive: true, force: true })
  }
}

export async function buildWeb(): Promise<{ path: string; bytes: number; ms: number }> {
  const started = performance.now()
  await buildPages()
  const tmpDir = join(ROOT, 'public/js', `.build-${process.pid}-${Date.now()}`)
  mkdirSync(tmpDir, { recursive: true })
  try {
    const result = await Bun.build({
      entrypoints: [join(ROOT, 'src/web/viewer/main.ts')],
      outdir: tmpDir,
      naming: 'viewer.js',
      target: 'browser',
      format: 'iife',
      minify: process.env.NORA_WEB_NOMINIFY !== '1',
      sourcemap: 'none',
    })
    if (!result.success) throw new Error(`viewer bundle failed:\n${result.logs.map(String).join('\n')}`)
    if (result.outputs.length !== 1) throw new Error(`viewer bundle: expected one output, got ${result.outputs.map((o) => o.path).join(', ')}`)
    // The DICOM conversion worker (dcm2niix as WASM): its own module script, started by the viewer on demand.
    const worker = await Bun.build({
      entrypoints: [join(ROOT, 'src/web/viewer/dicom-worker.ts')],
      outdir: tmpDir,
      naming: 'dicom-worker.js',
      target: 'browser',
      format: 'esm',
      minify: process.env.NORA_WEB_NOMINIFY !== '1',
      sourcemap: 'none',
      external: ['module'],
    })
    if (!worker.success) throw new Error(`dicom worker bundle failed:\n${worker.logs.map(String).join('\n')}`)
    renameSync(join(tmpDir, 'dicom-worker.js'), DICOM_WORKER_BUNDLE)
    renameSync(join(tmpDir, 'viewer.js'), VIEWER_BUNDLE)
  } finally {
    rmSync(tmpDir, { recursive: true, force: true })
  }
  return { path: VIEWER_BUNDLE, bytes: Bun.file(VIEWER_BUNDLE).size, ms: performance.now() - started }
}

if (import.meta.main) {
  const r = await buildWeb()
  console.log(`built ${r.path} (${(r.bytes / 1e6).toFixed(2)} MB) in ${(r.ms / 1000).toFixed(1)} s`)
}
