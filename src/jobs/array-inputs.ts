import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { exportable, shellQuote, type SubmitRequest } from './executor'

/**
 * The inputs of one array job, in a folder of its own below data/jobarrays that nora writes and job code can only
 * read (root:<project group> 2750, files 0640; 0700 when nora is not root):
 *   common.sh  the environment every task shares (`export NAME='value'` lines)
 *   tasks      one line per task, in index order: the rest of its environment (NORA_LOG_FILE: its log, which the
 *              job wrapper opens as the job's own account), its folder and its command, as quoted shell words
 *   array.sh   the array job's script: runs line (index - first + 1) of tasks
 *   array-id   the scheduler's array id, written once submitted: the sweep removes the folder when no task of that
 *              array is queued or running any more
 */

const TASKS = 'tasks'
const COMMON = 'common.sh'
const SCRIPT = 'array.sh'
const ARRAY_ID = 'array-id'
/** A folder without array-id this old was never submitted (nora ended while submitting it). */
const UNSUBMITTED_MS = 3600_000

/** A shell word that stands for exactly `s` and holds no newline (a newline becomes $'\n'): one task, one line. */
export function lineWord(s: string): string {
  const q = shellQuote(s)
  // A function, not a replacement string: there `$'` would mean "the text after the match".
  return q.includes('\n') ? q.replace(/\n/g, () => `'$'\\n''`) : q
}

/** A new, empty inputs folder below `root`, readable by `group` (nora being root) and nobody else. */
export function createArrayDir(root: string, group: number | undefined): string {
  mkdirSync(root, { recursive: true, mode: 0o711 })
  // Passable, not listable (whatever the umask): each task reaches its own array's folder.
  if ((statSync(root).mode & 0o777) !== 0o711) chmodSync(root, 0o711)
  const dir = join(root, `a${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`)
  mkdirSync(dir, { mode: 0o700 })
  if (group !== undefined && process.getuid?.() === 0) {
    chownSync(dir, 0, group)
    // setgid: the files below get the group too.
    chmodSync(dir, 0o2750)
  }
  return dir
}

/** The variables of `reqs` that every one has with the same value. */
function sharedEnv(reqs: SubmitRequest[]): Record<string, string> {
  const shared: Record<string, string> = {}
  for (const [k, v] of Object.entries(reqs[0]!.command.env)) if (exportable(k) && reqs.every((r) => r.command.env[k] === v)) shared[k] = v
  return shared
}

/** One task's line: its own variables and log, its folder, its command. */
export function taskLine(req: SubmitRequest, shared: Record<string, string>): string {
  const own = Object.entries({ ...req.command.env, NORA_LOG_FILE: req.logPath }).filter(([k, v]) => exportable(k) && shared[k] !== v)
  const exports = own.length ? `export ${own.map(([k, v]) => `${k}=${lineWord(v)}`).join(' ')}; ` : ''
  return `${exports}cd ${lineWord(req.cwd)} || exit 1; exec ${req.command.argv.map(lineWord).join(' ')}`
}

/**
 * Writes the inputs of an array job whose task i runs `reqs[i]` into `dir` (from createArrayDir); returns the path
 * of the array job's script. `index`: the variable that holds the task's index and the first index (Slurm
 * SLURM_ARRAY_TASK_ID from 0, SGE SGE_TASK_ID from 1).
 */
export function writeArrayInputs(dir: string, reqs: SubmitRequest[], index: { variable: string; first: number }): string {
  const shared = sharedEnv(reqs)
  const common = Object.entries(shared).map(([k, v]) => `export ${k}=${shellQuote(v)}`)
  writeFileSync(join(dir, COMMON), `${common.join('\n')}\n`, { mode: 0o640 })
  writeFileSync(join(dir, TASKS), `${reqs.map((r) => taskLine(r, shared)).join('\n')}\n`, { mode: 0o640 })
  const inputs = shellQuote(dir)
  const script = [
    '#!/bin/bash',
    `# nora: an array job of ${reqs.length} runs; task i runs line i-${index.first}+1 of ${TASKS} (written by nora, read-only for the job)`,
    `n=$(( \${${index.variable}:?not a task of a nora array job} - ${index.first} + 1 ))`,
    `line=$(sed -n "\${n}{p;q}" ${inputs}/${TASKS})`,
    `[ -n "$line" ] || { echo "nora: no task $n in "${inputs}/${TASKS} >&2; exit 1; }`,
    `. ${inputs}/${COMMON} || exit 1`,
    'eval "$line"',
  ]
  const path = join(dir, SCRIPT)
  writeFileSync(path, `${script.join('\n')}\n`, { mode: 0o750 })
  return path
}

/** Notes the scheduler's id of the array submitted from `dir`. */
export function recordArrayId(dir: string, arrayId: string): void {
  writeFileSync(join(dir, ARRAY_ID), `${arrayId}\n`, { mode: 0o640 })
}

/** The array a task id belongs to (`123` of Slurm's `123_4` or SGE's `123.4`); undefined for a plain job id. */
export function arrayIdOf(externalId: string): string | undefined {
  return /^(\d+)[_.]\d+$/.exec(externalId)?.[1]
}

/**
 * Removes the inputs folders below `root` whose array has no queued or running task any more (`tasksOf`: how many
 * gridjobs name a task of the array, and how many of them are open). An array no gridjob names yet is kept for
 * `graceMs` after its submission (a nora that submitted it records its task ids just after), a folder never
 * submitted (no array-id) for an hour. Returns how many it removed.
 */
export async function sweepArrayDirs(root: string, tasksOf: (arrayId: string) => Promise<{ open: number; total: number }>, now = Date.now(), graceMs = 600_000): Promise<number> {
  if (!existsSync(root)) return 0
  let removed = 0
  for (const name of readdirSync(root)) {
    const dir = join(root, name)
    const idFile = join(dir, ARRAY_ID)
    let gone: boolean
    if (existsSync(idFile)) {
      const t = await tasksOf(readFileSync(idFile, 'utf8').trim())
      gone = t.open === 0 && (t.total > 0 || now - statSync(idFile).mtimeMs >= graceMs)
    } else gone = now - statSync(dir).mtimeMs >= UNSUBMITTED_MS
    if (!gone) continue
    rmSync(dir, { recursive: true, force: true })
    removed++
  }
  return removed
}

/**
 * True when task `n` is in a scheduler's task list: Slurm `2-5%2` or `4,7,9-10`, SGE `2-6:1` or `1-9:2` (the
 * pending tasks of an array, listed as one).
 */
export function inTaskRange(spec: string, n: number): boolean {
  for (const part of spec.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim())
    if (!m) continue
    const lo = Number(m[1])
    const hi = m[2] !== undefined ? Number(m[2]) : lo
    const step = m[3] !== undefined ? Math.max(1, Number(m[3])) : 1
    if (n >= lo && n <= hi && (n - lo) % step === 0) return true
  }
  return false
}
