import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const OUTPUT = /\.(nii|nii\.gz|json|bval|bvec)$/

/** Every file under `dir` (recursively: a -f pattern with "/" makes subfolders), as absolute paths. */
export function listFiles(dir: string): Set<string> {
  const out = new Set<string>()
  const walk = (d: string) => {
    let entries
    try {
      entries = readdirSync(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else out.add(p)
    }
  }
  walk(dir)
  return out
}

/**
 * The NIfTIs and sidecars a conversion added to `dir`, sorted. dcm2niix never overwrites (it adds a, b, ...
 * to a name that exists), so the files not there before are exactly this conversion's.
 */
export function newOutputs(dir: string, before: Set<string>): string[] {
  return [...listFiles(dir)].filter((p) => !before.has(p) && OUTPUT.test(p)).sort()
}

/** Removes what a failed conversion left in `dir` (any file not there before), so no half series stays visible. */
export function discardNew(dir: string, before: Set<string>): void {
  for (const p of listFiles(dir)) if (!before.has(p)) rmSync(p, { force: true })
}
