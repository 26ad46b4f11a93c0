// The import graph of src/, read from the sources: for the dependency-rule and light-start tests.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export const SRC = resolve(import.meta.dir, '../../src')

export interface Import {
  spec: string
  /** `import('...')`: loaded when the code runs, not when the module is. */
  dynamic: boolean
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return filesUnder(p)
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts') ? [p] : []
  })
}

/** Runtime imports of one file: static imports and re-exports not marked `type`, and dynamic import(). */
export function importsOf(source: string): Import[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const found: Import[] = []
  for (const m of code.matchAll(/(?:^|[;\n])\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g)) {
    if (m[2]) continue // import type / export type
    const clause = m[3]!.trim()
    // `import { type A, type B } from`: only types
    const braces = clause.match(/^\{([^}]*)\}$/)
    if (braces && braces[1]!.split(',').every((n) => !n.trim() || n.trim().startsWith('type '))) continue
    found.push({ spec: m[4]!, dynamic: false })
  }
  for (const m of code.matchAll(/(?:^|[;\n])\s*import\s+['"]([^'"]+)['"]/g)) found.push({ spec: m[1]!, dynamic: false })
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ spec: m[1]!, dynamic: true })
  return found
}

/** The file a relative import names, or undefined for a package or builtin. */
export function resolveImport(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined
  const base = resolve(dirname(fromFile), spec)
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate
    } catch {}
  }
  return undefined
}

/**
 * What loading `entry` loads before any of its code runs: the files and packages reached by static imports
 * (dynamic import() and type-only imports are not followed).
 */
export function staticClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    for (const i of importsOf(readFileSync(file, 'utf8'))) {
      if (i.dynamic) continue
      const target = resolveImport(file, i.spec)
      if (target) visit(target)
      else if (!i.spec.startsWith('.')) packages.add(i.spec)
    }
  }
  visit(resolve(entry))
  return { files, packages }
}
