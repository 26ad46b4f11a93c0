import { readFileSync } from 'node:fs'

export interface Measured {
  wallMs: number
  /** CPU time (user + system) of the command and the children it waited for (e.g. nora's dcm2niix). */
  cpuMs: number
  peakRssMb: number
  code: number
  stdoutBytes: number
  stderr: string
}

function vmHwmKb(pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/)
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

/** Runs a command, counting its stdout bytes without keeping them; peak RSS from VmHWM polled until exit. */
export async function measure(cmd: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Measured> {
  const started = performance.now()
  const proc = Bun.spawn(cmd, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdout: 'pipe', stderr: 'pipe' })
  let peak = 0
  const poll = setInterval(() => (peak = Math.max(peak, vmHwmKb(proc.pid))), 20)
  let stdoutBytes = 0
  const drain = (async () => {
    const reader = proc.stdout.getReader()
    for (let r = await reader.read(); !r.done; r = await reader.read()) stdoutBytes += r.value.length
  })()
  const stderr = new Response(proc.stderr).text()
  const code = await proc.exited
  clearInterval(poll)
  await drain
  const wallMs = performance.now() - started
  const cpuMs = Number(proc.resourceUsage()?.cpuTime.total ?? 0) / 1000
  return { wallMs, cpuMs, peakRssMb: peak / 1024, code, stdoutBytes, stderr: await stderr }
}

export function rssMbOf(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)
  return m ? Number(m[1]) / 1024 : 0
}

/** Prints rows as an aligned table. */
export function printTable(rows: Record<string, string | number>[]): void {
  if (!rows.length) return
  const cols = Object.keys(rows[0]!)
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join('  ')
  console.log(line(cols))
  for (const r of rows) console.log(line(cols.map((c) => String(r[c] ?? ''))))
}

export async function writeResult(name: string, data: unknown): Promise<string> {
  const path = `${import.meta.dir}/../results/${name}.json`
  await Bun.write(path, JSON.stringify({ at: new Date().toISOString(), host: { cpus: navigator.hardwareConcurrency }, ...((data as object) ?? {}) }, null, 2))
  return path
}
