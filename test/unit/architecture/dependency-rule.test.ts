// The dependency rule of ARCHITECTURE.md, checked over the import graph of src/:
//   core <- {config, formats, volume, roi, markers, transform, dicom, store} <- {auth, archive} <- {importer, pacs, jobs, notify} <- {http, cli};
//   app composes, main starts. Peers in a tier don't import each other in a cycle; importer and jobs never import
//   each other. web/ is browser code: it imports core, formats and volume only (and the pure job-argument parser
//   it shares with the server).
// Type-only imports (`import type`, `export type`) are not dependencies at run time and are not counted;
// dynamic `import('...')` is.
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { filesUnder, importsOf, resolveImport, SRC } from '../../helpers/import-graph'

const TIER: Record<string, number> = {
  core: 0,
  config: 1,
  formats: 1,
  volume: 1,
  roi: 1,
  transform: 1,
  markers: 1,
  dicom: 1,
  store: 1,
  auth: 2,
  archive: 2,
  importer: 3,
  pacs: 3,
  jobs: 3,
  notify: 3,
  sharing: 3,
  reading: 3,
  http: 4,
  cli: 4,
  app: 5,
  main: 6,
}

/** Modules that must not import each other at all, in either direction. */
const APART: [string, string][] = [['importer', 'jobs']]

/** What web/ (bundled for the browser) may import besides itself. */
const WEB_MAY_IMPORT = new Set(['core', 'formats', 'volume', 'roi', 'transform', 'markers', 'jobs/job-args.ts', 'jobs/job-spec.ts', 'jobs/study-reference.ts', 'sharing/shared-state.ts'])

/**
 * Imports that run against the rule today, each with why. An entry that no longer occurs fails the test too, so
 * the list only shrinks. Format: `from-file -> to-file` (paths under src/).
 */
const KNOWN_EXCEPTIONS: Record<string, string> = {
  // The CLI opens the composition on demand, lazily, so that --help/--select never load it; moving the open into
  // main would need main to hand runCli the openers. serve/start/init are the server's own start-up.
  'cli/context.ts -> app-archive.ts': 'the light composition (database + archive) for the archive commands',
  'cli/context.ts -> app.ts': 'withServices: the whole app, for the commands that need it',
  'cli/context.ts -> app-import.ts': 'withImport: archive, converter and importer, for --import without --autoexec_queue',
  'cli/commands/init.ts -> app-archive.ts': 'init creates (migrates) the database and the first admin',
  'cli/commands/start.ts -> app-archive.ts': 'start migrates the database and makes the first admin before it forks the server',
  'cli/commands/serve.ts -> app.ts': 'serve is the server start-up (main starts it through the CLI)',
  'cli/commands/self-test.ts -> app.ts': 'nora test db opens the services to test them',
  'cli/commands/pacs.ts -> app.ts': 'pacs pull without a server starts the DICOM node in-process (startDicomNode)',
}

/** Exceptions that may vanish while the work that removes them lands (not held by the "still occurs" test). */

type Edge = { from: string; to: string }

/** The module a file of src/ belongs to: its first folder, or app/main/core for the files at the top. */
function moduleOf(rel: string): string {
  const [first, ...rest] = rel.split('/')
  if (rest.length) return first!
  if (first!.startsWith('main.')) return 'main'
  if (first!.startsWith('app')) return 'app'
  return 'core' // version.ts: a constant, imported from everywhere
}

function edges(): Edge[] {
  const out: Edge[] = []
  for (const file of filesUnder(SRC)) {
    for (const { spec } of importsOf(readFileSync(file, 'utf8'))) {
      const target = resolveImport(file, spec)
      if (!target || !target.startsWith(`${SRC}/`)) continue
      out.push({ from: relative(SRC, file), to: relative(SRC, target) })
    }
  }
  return out
}

/** Why an edge runs against the rule, or undefined. Cycles between peers are found separately. */
function violation(e: Edge): string | undefined {
  const a = moduleOf(e.from)
  const b = moduleOf(e.to)
  if (a === b) return undefined
  if (a === 'web') return WEB_MAY_IMPORT.has(b) || WEB_MAY_IMPORT.has(e.to) ? undefined : `web/ is browser code and may not import ${b}/`
  if (b === 'web') return `only the build bundles web/; ${a}/ may not import it`
  for (const [x, y] of APART) if ((a === x && b === y) || (a === y && b === x)) return `${x} and ${y} never import each other`
  const ta = TIER[a]
  const tb = TIER[b]
  if (ta === undefined) return `${a}/ is in no tier of the dependency rule (add it to ARCHITECTURE.md and this test)`
  if (tb === undefined) return `${b}/ is in no tier of the dependency rule (add it to ARCHITECTURE.md and this test)`
  if (tb > ta) return `${a}/ (tier ${ta}) imports ${b}/ (tier ${tb}): only lower tiers may be imported`
  return undefined
}

/** Cycles between modules of the same tier: strongly connected components of more than one module. */
function peerCycles(all: Edge[]): string[][] {
  const graph = new Map<string, Set<string>>()
  for (const e of all) {
    const a = moduleOf(e.from)
    const b = moduleOf(e.to)
    if (a === b || TIER[a] === undefined || TIER[a] !== TIER[b]) continue
    if (KNOWN_EXCEPTIONS[`${e.from} -> ${e.to}`]) continue
    if (!graph.has(a)) graph.set(a, new Set())
    graph.get(a)!.add(b)
  }
  // Tarjan's algorithm
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const on = new Set<string>()
  const out: string[][] = []
  const visit = (v: string) => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    on.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        on.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1) out.push(scc.sort())
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) visit(v)
  return out
}

describe('dependency rule (ARCHITECTURE.md)', () => {
  const all = edges()

  test('the import graph was read (sanity: a known edge is there)', () => {
    expect(all.length).toBeGreaterThan(200)
    expect(all).toContainEqual({ from: 'archive/archive-service.ts', to: 'core/errors.ts' })
  })

  test('no import runs against the tiers, outside the listed exceptions', () => {
    const found = all.map((e) => ({ key: `${e.from} -> ${e.to}`, why: violation(e) })).filter((v) => v.why && !KNOWN_EXCEPTIONS[v.key])
    expect(found.map((v) => `${v.key}: ${v.why}`)).toEqual([])
  })

  test('every listed exception still occurs (the list only shrinks)', () => {
    const keys = new Set(all.map((e) => `${e.from} -> ${e.to}`))
    expect(Object.keys(KNOWN_EXCEPTIONS).filter((k) => !keys.has(k))).toEqual([])
  })

  test('no cycle between the modules of one tier', () => {
    expect(peerCycles(all)).toEqual([])
  })

  test('the checker sees a violation when there is one', () => {
    expect(violation({ from: 'store/x.ts', to: 'archive/y.ts' })).toContain('only lower tiers')
    expect(violation({ from: 'jobs/x.ts', to: 'importer/y.ts' })).toContain('never import each other')
    expect(violation({ from: 'http/x.ts', to: 'web/y.ts' })).toBeDefined()
    expect(violation({ from: 'cli/x.ts', to: 'archive/y.ts' })).toBeUndefined()
    expect(peerCycles([{ from: 'auth/a.ts', to: 'archive/b.ts' }, { from: 'archive/b.ts', to: 'auth/a.ts' }])).toEqual([['archive', 'auth']])
    expect(importsOf("import type { A } from './a'\nimport { type B } from './b'\nimport { C } from './c'\nconst d = await import('./d')").map((i) => i.spec)).toEqual(['./c', './d'])
  })
})
