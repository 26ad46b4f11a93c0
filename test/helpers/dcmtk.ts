import type { TestHome } from './home'
import { runNora } from './nora-binary'

/** dcmtk's tools play the scanner; they must be installed (test/run.sh does), the test fails otherwise. */
export function dcmtk(tool: string, args: string[], timeoutMs = 120_000): { code: number; out: string } {
  const r = Bun.spawnSync([tool, ...args], { stdout: 'pipe', stderr: 'pipe', timeout: timeoutMs })
  if (r.exitCode === null && !r.success) throw new Error(`${tool} did not run (apt-get install dcmtk)`)
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() }
}

/** Rows of `nora --sql` against a test home. */
export async function sql<T>(home: TestHome, statement: string): Promise<T[]> {
  return JSON.parse((await runNora(['--sql', statement], { home: home.home })).stdout)
}

/** Polls until `fn` gives a value; fails naming what it waited for. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(200)
  }
}
