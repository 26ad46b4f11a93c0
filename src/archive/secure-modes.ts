import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config/load-config'
import { projectsDir } from './archive-paths'
import { secureProjectDir } from './project-group'

/** The data root's folders that only nora reads (job code and other accounts never enter them). */
const PRIVATE_DIRS = ['imports', 'logs', 'spool', 'trash', 'uploads']

function chmodIf(path: string, mode: (current: number) => number): void {
  try {
    const st = statSync(path)
    if (st.uid !== process.getuid?.() && process.getuid?.() !== 0) return
    const next = mode(st.mode & 0o7777)
    if (next !== (st.mode & 0o7777)) chmodSync(path, next)
  } catch {
    // missing, or not ours: nothing to tighten
  }
}

/**
 * File modes on every start (cheap: a few dozen stats): conf files readable by nora's account only (0640 at most, no
 * group write), the database and keys 0600 (keys/ 0700), the data root and data/projects passable but not
 * listable by others (0711: jobs reach their project through them), every other folder of the data root closed to
 * others (0750 at most). What nora creates later inside those folders inherits their closure.
 */
export function secureInstallation(config: Config): void {
  if (existsSync(config.confDir)) {
    chmodIf(config.confDir, (m) => m & 0o750)
    for (const f of readdirSync(config.confDir)) chmodIf(join(config.confDir, f), (m) => m & 0o640)
  }
  mkdirSync(projectsDir(config.dataRoot), { recursive: true })
  chmodIf(config.dataRoot, () => 0o711)
  chmodIf(projectsDir(config.dataRoot), () => 0o711)
  for (const d of PRIVATE_DIRS) {
    const p = join(config.dataRoot, d)
    if (!existsSync(p)) mkdirSync(p, { mode: 0o750 })
    chmodIf(p, (m) => m & 0o750)
  }
  const keys = join(config.dataRoot, 'keys')
  if (!existsSync(keys)) mkdirSync(keys, { mode: 0o700 })
  chmodIf(keys, () => 0o700)
  for (const f of readdirSync(keys)) chmodIf(join(keys, f), (m) => m & 0o600)
  // Anything else in the data root (the pid file, an older layout's folders): closed to others. Jobs pass through
  // jobhome and jobarrays (array jobs' inputs, each folder readable by its project's group only).
  for (const f of readdirSync(config.dataRoot)) if (f !== 'projects' && f !== 'jobhome' && f !== 'jobarrays') chmodIf(join(config.dataRoot, f), (m) => m & 0o7770 & ~0o007)
  if (config.main.database.dialect === 'sqlite') for (const suffix of ['', '-wal', '-shm']) chmodIf(config.main.database.sqlite.path + suffix, () => 0o600)
}

/**
 * Each project folder closed to other projects' jobs (`nora serve` at start): root:nora-p-<project> 2770 as root
 * (creating the groups once), 0750 otherwise. A folder that has its mode and a group already costs one stat.
 */
export function secureProjects(dataRoot: string, log: (line: string) => void = () => {}): void {
  const root = projectsDir(dataRoot)
  if (!existsSync(root)) return
  for (const name of readdirSync(root)) {
    const dir = join(root, name)
    try {
      const st = statSync(dir)
      if (!st.isDirectory()) continue
      if ((st.mode & 0o7777) === 0o2770 && st.gid !== 0) continue
      secureProjectDir(dir, name)
    } catch (e) {
      log(`project folder ${dir}: ${(e as Error).message}`)
    }
  }
}
