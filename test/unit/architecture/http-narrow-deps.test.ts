// The HTTP layer's shape (issue 13, "narrow dependencies"): create-app.ts is the composition root of HTTP and the
// only file that sees HttpDeps; each route plugin takes the few services it uses; the caller is resolved by the auth
// plugin (plugins/auth.ts) alone, and page-or-partial is decided by the htmx plugin (plugins/htmx.ts) alone.
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { filesUnder, SRC } from '../../helpers/import-graph'

const HTTP = `${SRC}/http`
const files = filesUnder(HTTP).map((f) => ({ rel: relative(HTTP, f), text: readFileSync(f, 'utf8') }))

/** Every module a file names in an import or re-export, type-only ones included. */
const specsOf = (text: string) => [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!)

describe('HTTP: narrow dependencies', () => {
  test('the files of http/ were read (sanity)', () => {
    expect(files.map((f) => f.rel)).toContain('create-app.ts')
    expect(files.map((f) => f.rel)).toContain('plugins/auth.ts')
  })

  test('only create-app.ts sees HttpDeps; route plugins take their own few services', () => {
    const users = files.filter((f) => f.rel !== 'deps.ts' && specsOf(f.text).some((s) => /(^|\/)deps$/.test(s)))
    expect(users.map((f) => f.rel)).toEqual(['create-app.ts'])
  })

  test('only the auth plugin looks the caller up (no handler calls callerOf)', () => {
    const lookups = files.filter((f) => f.rel !== 'request-auth.ts' && /\bcallerOf\s*\(/.test(f.text))
    expect(lookups.map((f) => f.rel)).toEqual(['plugins/auth.ts'])
  })

  test('only the htmx plugin tells a partial request from a page request', () => {
    const deciders = files.filter((f) => /headers\.get\(\s*['"]hx-(request|boosted)/i.test(f.text))
    expect(deciders.map((f) => f.rel)).toEqual(['plugins/htmx.ts'])
  })
})
