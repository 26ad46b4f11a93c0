import { chmodSync, chownSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { ServiceError } from '../core/errors'

/**
 * Per-project Unix groups: when nora runs as root, each project folder belongs to a group of its own
 * (`nora-p-<project>`, mode 2770: new folders inherit the group) and a job of the project runs with that group as its
 * only group, so its code can read and write its project and nothing of another one. Without root there are no
 * such groups: project folders are then only closed to others (0750).
 */

/** The project's group name: `nora-p-` and the name when it is short, lower-case and plain; else a hash keeps it unique. */
export function projectGroupName(project: string): string {
  if (/^[a-z0-9_-]{1,24}$/.test(project)) return `nora-p-${project}`
  const plain = project.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 12)
  return `nora-p-${plain}-${createHash('sha256').update(project).digest('hex').slice(0, 8)}`
}

/** True when this process may create groups and hand folders to them (root). */
export const canManageGroups = () => process.getuid?.() === 0

/** The gid of a group (NSS: files, LDAP...), or undefined. */
export function groupId(name: string): number | undefined {
  const r = Bun.spawnSync(['getent', 'group', name], { stdout: 'pipe', stderr: 'ignore' })
  if (r.exitCode !== 0) return undefined
  const gid = Number(r.stdout.toString().split(':')[2])
  return Number.isInteger(gid) ? gid : undefined
}

const known = new Map<string, number>()

/** The project's group, created (groupadd --system) when missing. Root only. */
export function ensureProjectGroup(project: string): number {
  const name = projectGroupName(project)
  const cached = known.get(name)
  if (cached !== undefined) return cached
  let gid = groupId(name)
  if (gid === undefined) {
    const r = Bun.spawnSync(['groupadd', '--system', name], { stdout: 'pipe', stderr: 'pipe' })
    gid = groupId(name)
    if (gid === undefined) throw new ServiceError(`cannot create the Unix group ${name} of project "${project}" (groupadd: ${r.stderr.toString().trim() || `exit ${r.exitCode}`}); jobs of the project cannot run isolated without it`)
  }
  known.set(name, gid)
  return gid
}

/**
 * Closes a project folder to everyone but nora and (as root) the project's group: root:nora-p-<project> 2770, or
 * 0750 without root. Cheap when it is right already (one stat). Returns the group id as root.
 */
export function secureProjectDir(dir: string, project: string): number | undefined {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true })
  const st = statSync(dir)
  if (!canManageGroups()) {
    if (st.uid === process.getuid?.() && st.mode & 0o007) chmodSync(dir, st.mode & 0o7770 & ~0o007)
    return undefined
  }
  const gid = ensureProjectGroup(project)
  if (st.gid !== gid) chownSync(dir, st.uid, gid)
  if ((st.mode & 0o7777) !== 0o2770) chmodSync(dir, 0o2770)
  return gid
}

/**
 * Folders a job writes into (its study folder, output folders, log folder): group-writable for the project's group
 * (2770), as root. Without root nothing changes (jobs run as nora's own account).
 */
export function groupWritable(dirs: string[], gid: number | undefined): void {
  if (gid === undefined || !canManageGroups()) return
  for (const d of dirs) {
    const st = statSync(d)
    if (st.gid !== gid) chownSync(d, st.uid, gid)
    if ((st.mode & 0o7777) !== 0o2770) chmodSync(d, 0o2770)
  }
}
