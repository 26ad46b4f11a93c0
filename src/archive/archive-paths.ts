import { join, relative, resolve, sep } from 'node:path'
import { PathError, UsageError } from '../core/errors'
import { realish } from '../core/safe-path'

/** Where things live under the data root. */
export const projectsDir = (dataRoot: string) => join(dataRoot, 'projects')
export const projectDir = (dataRoot: string, project: string) => join(projectsDir(dataRoot), project)

const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

export function checkProjectName(name: string): void {
  if (!PROJECT_NAME.test(name) || name.endsWith('.'))
    throw new UsageError(`project name "${name}": use 1-64 letters, digits, "_", "-" or ".", starting with a letter or digit`)
}

/** A patients_id or studies_id becomes a folder name: it must be one safe path segment. */
export function checkIdSegment(id: string, what: 'patients_id' | 'studies_id'): void {
  if (!id || id === '.' || id === '..' || /[/\\#\0-\x1f]/.test(id) || id.length > 128)
    throw new UsageError(`${what} "${id}": must be 1-128 characters without "/", "\\", "#" or control characters, and not "." or ".."`)
}

/**
 * Resolves a user-given path (following symlinks) and proves it lies inside `root`. Throws a PathError that
 * says where the path really points and which root it had to stay in.
 */
export function resolveInside(root: string, userPath: string, what = 'path'): string {
  const realRoot = realish(root)
  const real = realish(userPath)
  const rel = relative(realRoot, real)
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep) || resolve(realRoot, rel) !== real) {
    const shown = real === resolve(userPath) ? real : `${resolve(userPath)} (really ${real})`
    throw new PathError(`${what} ${shown} is outside ${realRoot}; only files inside it can be used here`)
  }
  return real
}
