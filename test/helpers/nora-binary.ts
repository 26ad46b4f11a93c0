import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const REPO = resolve(import.meta.dir, '../..')
export const NORA = join(REPO, 'nora')

let built: Promise<void> | undefined

/** Builds ./nora once per test process when it is missing or older than the sources it was built from. */
export function ensureBinary(): Promise<void> {
  built ??= (async () => {
    const newest = Number(Bun.spawnSync(['bash', '-c', 'find src templates public conf package.json -type f -printf "%T@\\n" | sort -n | tail -1'], { cwd: REPO }).stdout.toString().trim()) * 1000
    if (existsSync(NORA) && statSync(NORA).mtimeMs >= newest) return
    const r = Bun.spawnSync(['bun', 'run', 'build'], { cwd: REPO, stderr: 'pipe', stdout: 'pipe' })
    if (r.exitCode !== 0) throw new Error(`bun run build failed: ${r.stderr.toString()}`)
  })()
  return built
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the built ./nora with the given home (and extra environment), from a directory outside the repo. */
export async function runNora(args: string[], opts: { home: string; env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult> {
  await ensureBinary()
  const proc = Bun.spawn([NORA, ...args], {
    cwd: opts.home,
    env: { ...process.env, NORA_HOME: opts.home, ...opts.env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  return { code, stdout, stderr }
}
