import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadSlurmConf, type SlurmConf } from '../../config/slurm-conf'
import type { Executor } from '../../jobs/executor'
import { clusterDefaults } from '../../jobs/executors'
import { SgeExecutor } from '../../jobs/sge-executor'
import { SlurmExecutor } from '../../jobs/slurm-executor'
import { openServices } from '../../app'
import { schemaVersion } from '../../store/migrate'
import { migrations } from '../../store/migrations'
import { UsageError } from '../../core/errors'
import { removeInside } from '../../core/safe-path'
import type { ParsedArgs } from '../args'
import { configFrom, type Out } from '../context'
import type { Config } from '../../config/load-config'
import { PacsService } from '../../pacs/pacs-service'
import { portFree } from '../daemon/ports'
import { runningPid } from '../daemon/pid-file'
import { ldapCheck } from './self-test-ldap'
import { loadSmailConf, type SmailConf } from '../../config/smail-conf'
import { Mailer } from '../../notify/mailer'

type Check = (config: Config, args: ParsedArgs) => Promise<string>

/** Each check returns what it verified, or throws saying what is wrong. */
const CHECKS: Record<string, Check> = {
  async db(config) {
    const s = await openServices(config)
    try {
      const v = await schemaVersion(s.db)
      const latest = Math.max(...migrations.map((m) => m.id))
      if (v < latest) throw new Error(`schema ${v}, ${latest} available: run nora --admin migrate`)
      // A write and read-back inside a transaction that is rolled back: proves the store accepts writes.
      const probe = `selftest-${Date.now()}`
      await s.db
        .transaction(async (tx) => {
          await tx.run('INSERT INTO json (kind, name, content, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', ['selftest', probe, '{}', 0, 0])
          const row = await tx.get('SELECT name FROM json WHERE kind = ? AND name = ?', ['selftest', probe])
          if (!row) throw new Error('a row written in a transaction could not be read back')
          throw new RollBack()
        })
        .catch((e) => {
          if (!(e instanceof RollBack)) throw e
        })
      return `${s.db.dialect} ${s.db.label}, schema ${v}, read/write OK`
    } finally {
      await s.close()
    }
  },
  async slurm(config) {
    if (config.main.jobs.queue !== 'slurm') return `not used (jobs.queue is "${config.main.jobs.queue}")`
    const r = spawnSync('sinfo', ['-h', '-o', '%P %a %D'], { encoding: 'utf8', timeout: 15000 })
    if (r.error) throw new Error(`sinfo not found or failed (${(r.error as Error).message}); install slurm-client`)
    if (r.status !== 0) throw new Error(`sinfo failed: ${r.stderr.trim()}`)
    const conf = loadSlurmConf(config.confDir)
    return probeQueues(new SlurmExecutor(clusterDefaults(conf)), conf)
  },
  async sge(config) {
    if (config.main.jobs.queue !== 'sge') return `not used (jobs.queue is "${config.main.jobs.queue}")`
    const conf = loadSlurmConf(config.confDir)
    return probeQueues(new SgeExecutor(clusterDefaults(conf)), conf)
  },
  async dicom(config) {
    const { enabled, aet, host, port } = config.main.dicom
    if (!enabled) return 'disabled in conf/main.conf'
    if (!runningPid(config.dataRoot) && !(await portFree(host, port))) throw new Error(`port ${port} is taken by another program`)
    // C-ECHO to every PACS node of conf/pacs.conf, as dpxcontrol's test did.
    const echoes = await new PacsService(config).echoAll()
    const failed = echoes.filter((e) => !e.ok)
    if (failed.length) throw new Error(failed.map((e) => `${e.node}: ${e.error}`).join('; '))
    const nodes = echoes.map((e) => `${e.node} ${e.ms} ms`).join(', ')
    return `AE ${aet} on port ${port}; ${echoes.length ? `C-ECHO OK: ${nodes}` : 'no PACS nodes in conf/pacs.conf'}`
  },
  ldap: (config, args) => ldapCheck(config.main.auth.ldap, args.positional[1] === 'ldap' ? args.positional[2] : undefined),
  async email(config, args) {
    // As dpxcontrol test email: without an address, connect (and log in); with one, send a test mail there.
    // conf/smail.conf with the mail settings a site admin saved in the admin page (the database; the file alone when
    // the database cannot be opened).
    const mailer = new Mailer(await liveMailConf(config))
    const to = args.positional[0] === 'test' && args.positional[1] === 'email' ? args.positional[2] : undefined
    const said = await mailer.verify()
    if (!to || !mailer.enabled) return said
    const answer = await mailer.send({ to, subject: `${config.main.site.name}: test mail`, text: `This is a test mail from nora (${config.main.site.name}), sent by nora test email.\n` })
    return `${said}; mail to ${to} taken: ${answer}`
  },
}

class RollBack extends Error {}

/**
 * Submits a one-line job to each queue of conf/slurm.conf (DPXproc, DPXimport) and waits for its exit file, as
 * `dpxcontrol test slurm` did. Returns one "QUEUE OK 1.2 s" per queue; throws listing the failed ones.
 */
async function probeQueues(executor: Executor, conf: SlurmConf, timeoutMs = 120_000): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nora-test-'))
  try {
    const results = await Promise.all(
      [...new Set([conf.queues.processing, conf.queues.import])].map(async (queue) => {
        const t0 = Date.now()
        const log = join(dir, `${queue}.log`)
        const exitFile = join(dir, `${queue}.exit`)
        try {
          const command = { argv: ['/bin/bash', '-c', 'echo "nora test on $(hostname)"; printf "0\n" > "$NORA_EXIT_FILE"'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NORA_EXIT_FILE: exitFile } }
          const id = await executor.submit({ command, logPath: log, cwd: dir, exitFile, resources: { queue, timeMinutes: 5, memMb: 100, cpus: 1 }, name: 'selftest' })
          for (;;) {
            const s = (await executor.poll([{ externalId: id, exitFile }])).get(id)!
            if (s.state === 'done' && s.exitCode === 0) return { ok: true, text: `${queue} OK ${((Date.now() - t0) / 1000).toFixed(1)} s (job ${id})` }
            if (s.state === 'done' || s.state === 'error') return { ok: false, text: `${queue} FAIL: job ${id} ${s.reason || `exit ${s.exitCode}`}` }
            if (Date.now() - t0 > timeoutMs) {
              await executor.cancel(id).catch(() => {})
              return { ok: false, text: `${queue} FAIL: job ${id} still ${s.state}${s.reason ? ` (${s.reason})` : ''} after ${timeoutMs / 1000} s` }
            }
            await Bun.sleep(250)
          }
        } catch (e) {
          return { ok: false, text: `${queue} FAIL: ${(e as Error).message}` }
        }
      }),
    )
    const text = results.map((r) => r.text).join('; ')
    if (results.some((r) => !r.ok)) throw new Error(text)
    return text
  } finally {
    removeInside(tmpdir(), dir)
  }
}

/** `nora test [db|slurm|dicom|all]`, in the spirit of `dpxcontrol test`. Exit 1 if any check fails. */
export async function selfTest(args: ParsedArgs, io: Out): Promise<number> {
  const what = args.positional[1] ?? 'all'
  const names = what === 'all' ? Object.keys(CHECKS) : [what]
  for (const n of names) if (!CHECKS[n]) throw new UsageError(`nora test: unknown check "${n}"; use db, slurm, sge, dicom, ldap [USER], email [ADDRESS] or all`)
  const config = configFrom(args)
  let failed = 0
  for (const n of names) {
    try {
      io.out(`${n.padEnd(6)} OK   ${await CHECKS[n]!(config, args)}`)
    } catch (e) {
      failed++
      io.out(`${n.padEnd(6)} FAIL ${(e as Error).message}`)
    }
  }
  return failed ? 1 : 0
}

/** The mail server as the running nora uses it: conf/smail.conf overridden by the admin page's mail.* settings. */
async function liveMailConf(config: Config): Promise<SmailConf> {
  let s: Awaited<ReturnType<typeof openServices>> | undefined
  try {
    s = await openServices(config, { migrate: false })
    return s.siteSettings.mailConf()
  } catch {
    return loadSmailConf(config.confDir)
  } finally {
    await s?.close().catch(() => undefined)
  }
}
