// Issue 12: `nora --version`/`--help` and the archive commands (--select, --add, tags) start in tens of
// milliseconds because they never load the heavy modules; the binary is built with --splitting, so what a command
// does not import is not even parsed. This holds the import graph to that: a static import of one of these from
// the start-up path would cost every CLI call their initialisation again (bench/cli-start.ts measures it).
import { describe, expect, test } from 'bun:test'
import { join, relative } from 'node:path'
import { SRC, staticClosure } from '../../helpers/import-graph'

/** Packages that cost a start tens to hundreds of ms to initialise (dcmjs alone ~190 ms). */
const HEAVY_PACKAGES = ['dcmjs', 'dcmjs-dimse', 'mysql2', 'elysia', 'busboy', 'mustache', 'tar-stream', 'yauzl', '@niivue/dcm2niix']
/** Node modules whose set-up costs tens of ms in a compiled Bun binary (process.stdout's stream pulls in node:net). */
const HEAVY_BUILTINS = ['node:net', 'node:async_hooks', 'node:http', 'node:tls']
const HEAVY_FILES = ['app.ts', 'dicom/convert/converter-pool.ts', 'http/create-app.ts', 'jobs/jobs-service.ts', 'importer/import-service.ts']

/** `mysql2/promise` -> `mysql2`, `@niivue/dcm2niix/jpeg` -> `@niivue/dcm2niix`. */
const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/')

function heavyIn(entry: string) {
  const { files, packages } = staticClosure(join(SRC, entry))
  const rel = [...files].map((f) => relative(SRC, f))
  return {
    packages: [...new Set([...packages].map(packageOf))].filter((p) => HEAVY_PACKAGES.includes(p) || HEAVY_BUILTINS.includes(p)).sort(),
    files: rel.filter((f) => HEAVY_FILES.includes(f)).sort(),
    count: rel.length,
  }
}

describe('the CLI start-up path loads no heavy module', () => {
  test('main.ts (what --help and --version load)', () => {
    const h = heavyIn('main.ts')
    expect(h.count).toBeGreaterThan(5) // the graph was followed
    expect({ packages: h.packages, files: h.files }).toEqual({ packages: [], files: [] })
  })

  test('the archive commands (manage.ts and the light composition app-archive.ts)', () => {
    for (const entry of ['cli/commands/manage.ts', 'app-archive.ts']) {
      const h = heavyIn(entry)
      expect({ entry, packages: h.packages, files: h.files }).toEqual({ entry, packages: [], files: [] })
    }
  })

  test('the check sees a heavy module when one is imported', () => {
    expect(heavyIn('app.ts').files).toContain('app.ts')
    expect(heavyIn('dicom/anonymize.ts').packages).toContain('dcmjs')
    expect(heavyIn('store/mysql-db.ts').packages).toContain('mysql2')
  })
})
