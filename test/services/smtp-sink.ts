import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../helpers/home'

const PYTHON = '/usr/bin/python3'

export interface SmtpSink {
  host: string
  port: number
  /** The raw messages received so far (RFC 5322 text), oldest first. */
  messages(): string[]
  stop(): Promise<void>
}

/** True once the server greets with 220 on a fresh connection. */
async function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false
    const finish = (v: boolean, s?: { end(): void }) => {
      if (done) return
      done = true
      s?.end()
      resolve(v)
    }
    Bun.connect({ hostname: '127.0.0.1', port, socket: { data: (s, d) => finish(d.toString().startsWith('220'), s), error: () => finish(false), connectError: () => finish(false), close: () => finish(false) } }).catch(() => finish(false))
    setTimeout(() => finish(false), 2000)
  })
}

/**
 * A real SMTP server on a free loopback port (Debian python3-aiosmtpd, its Mailbox handler writing every message it
 * accepts into a maildir in a temp dir), stopped by its pid. Throws saying why when it cannot start.
 */
export async function startSmtpSink(): Promise<SmtpSink> {
  const probe = Bun.spawnSync([PYTHON, '-c', 'import aiosmtpd'], { stderr: 'pipe' })
  if (probe.exitCode !== 0) throw new Error('python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd; test/run.sh does)')
  const dir = mkdtempSync(join(tmpdir(), 'nora-smtp-'))
  const port = freePort()
  const log = join(dir, 'smtpd.log')
  const proc = Bun.spawn([PYTHON, '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', join(dir, 'maildir')], { stdout: Bun.file(log), stderr: Bun.file(log), cwd: dir })
  const stop = async () => {
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    await proc.exited
    clearTimeout(timer)
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 30_000
  while (!(await greets(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      const why = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''
      await stop()
      throw new Error(`aiosmtpd did not start on 127.0.0.1:${port}:\n${why}`)
    }
    await Bun.sleep(100)
  }
  return {
    host: '127.0.0.1',
    port,
    messages() {
      const box = join(dir, 'maildir', 'new')
      if (!existsSync(box)) return []
      return readdirSync(box)
        .sort()
        .map((f) => readFileSync(join(box, f), 'utf8'))
    },
    stop,
  }
}
