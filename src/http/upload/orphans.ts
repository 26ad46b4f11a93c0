import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs'
import { removeInside, safeJoin } from '../../core/safe-path'
import { UPLOAD_SUFFIX } from './receive-upload'

/** Names of what uploads leave in the uploads folder while they stream or wait for their import. */
const TEMPORARY = new RegExp(`(\\${UPLOAD_SUFFIX}|\\.dir)$`)

/**
 * Removes what uploads of an earlier server left in `dir` (a body cut off by a crash or kill, a DICOM file waiting
 * for an import that will not run now): at start no upload is in flight, so every such entry is an orphan.
 * Returns the names removed.
 */
export function removeOrphanUploads(dir: string): string[] {
  if (!existsSync(dir)) return []
  const removed: string[] = []
  for (const name of readdirSync(dir)) {
    if (!TEMPORARY.test(name)) continue
    const path = safeJoin(dir, name)
    if (lstatSync(path).isDirectory()) removeInside(dir, path)
    else rmSync(path, { force: true })
    removed.push(name)
  }
  return removed
}
