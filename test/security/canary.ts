import { expect } from 'bun:test'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { sql } from '../helpers/dcmtk'
import { DICOMDIRTESTS } from '../helpers/dicom-fixtures'
import type { TestHome } from '../helpers/home'
import { runNora } from '../helpers/nora-binary'

/**
 * The canary of every security test: a project "canary" holding one real study (dicomdirtests' CR study of
 * patient 77654033), imported before the attack. `snapshotCanary` records the sha256 of every file under the
 * project folder and of every database row that belongs to it; `expectCanaryIntact` asserts both are byte-identical
 * afterwards, that /api/health answers, and that the spool and upload folders hold no leftovers.
 */

export const CANARY_PROJECT = 'canary'
const CANARY_SOURCE = join(DICOMDIRTESTS, '77654033', 'CR1')

export interface CanarySnapshot {
  files: Record<string, string>
  rows: string
}

/** Creates the canary project in a home (server stopped or running) and imports its study. */
export async function plantCanary(home: TestHome): Promise<CanarySnapshot> {
  const created = await runNora(['--createproject', CANARY_PROJECT], { home: home.home })
  expect(created.code).toBe(0)
  const imported = await runNora(['-p', CANARY_PROJECT, '--import', CANARY_SOURCE], { home: home.home, timeoutMs: 120_000 })
  expect(imported.code).toBe(0)
  const snap = await snapshotCanary(home)
  expect(Object.keys(snap.files).length).toBeGreaterThan(1)
  return snap
}

function hashTree(dir: string, root = dir, out: Record<string, string> = {}): Record<string, string> {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    const st = statSync(p)
    if (st.isDirectory()) hashTree(p, root, out)
    else out[relative(root, p)] = createHash('sha256').update(readFileSync(p)).digest('hex')
  }
  return out
}

export async function snapshotCanary(home: TestHome): Promise<CanarySnapshot> {
  const files = hashTree(join(home.home, 'data', 'projects', CANARY_PROJECT))
  const rows = await sql<Record<string, unknown>>(
    home,
    `SELECT f.path, f.size, s.studies_id, p.patients_id FROM files f JOIN studies s ON s.id = f.study_id JOIN subjects p ON p.id = s.subject_id JOIN projects pr ON pr.id = f.project_id WHERE pr.name = '${CANARY_PROJECT}' ORDER BY f.path`,
  )
  return { files, rows: createHash('sha256').update(JSON.stringify(rows)).digest('hex') }
}

/** Files left in a folder (recursively), relative to it; [] when the folder is absent. */
export function leftovers(dir: string, ignore: (rel: string) => boolean = () => false): string[] {
  return listTree(dir).filter((r) => !ignore(r))
}

/**
 * The files under `dir`, relative to it, without reading them. The server may remove an entry between the listing
 * and the stat (a partial upload going away is what the callers wait for): such an entry is simply gone.
 */
function listTree(dir: string, root = dir, out: string[] = []): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out
    throw e
  }
  for (const name of names.sort()) {
    const p = join(dir, name)
    let isDir: boolean
    try {
      isDir = statSync(p).isDirectory()
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw e
    }
    if (isDir) listTree(p, root, out)
    else out.push(relative(root, p))
  }
  return out
}

/** The canary is byte-identical, the server (when `running`) answers /api/health, spool/uploads are clean. */
export async function expectCanaryIntact(home: TestHome, before: CanarySnapshot, opts: { running?: boolean } = {}): Promise<void> {
  if (opts.running !== false) {
    const health = await fetch(`${home.url}api/health`)
    expect(health.status).toBe(200)
  }
  expect(existsSync(join(home.home, 'data'))).toBe(true)
  const after = await snapshotCanary(home)
  expect(after.files).toEqual(before.files)
  expect(after.rows).toBe(before.rows)
  expect(leftovers(join(home.home, 'data', 'spool', 'incoming'))).toEqual([])
  expect(leftovers(join(home.home, 'data', 'uploads'))).toEqual([])
}
