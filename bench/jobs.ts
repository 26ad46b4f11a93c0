// Jobs benchmark: a one-job batch over 1,000 studies on the local executor and on Slurm, and over 10,000 on Slurm:
// time to launch (runs and commands in the store), to all handed to the executor, and to all done. On Slurm the same
// run measures nora's submission as array jobs (one sbatch --array per batch step and MaxArraySize tasks) next to
// the per-run submission nora did before (one sbatch per run, 8 at once: conf/slurm.conf arrayMax 1), and, as the
// bare anchor, sbatch itself: N single jobs (8 at once) and one array of N (both held, then cancelled).
//   bun run bench jobs [--quick] [--no-10k] [--only-arrays N]
//     --quick: 100 studies, no 10,000 row; --only-arrays N: only nora's array submission of N studies (to profile it)
// The 10,000 row measures the submission only: once every task is submitted the batch is cancelled (running all of
// them would take ~10 minutes of this machine and says nothing more about nora).
// Slurm: the cluster of SLURM_CONF (test/run.sh's), else a private one started and stopped here; a private one gets
// MaxJobCount=100000 (Slurm's default 10,000 cannot hold the finished jobs of all rows for MinJobAge).
import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openServices } from '../src/app'
import { loadConfig } from '../src/config/load-config'
import { makeHome } from '../test/helpers/home'
import { slurm, slurmCmd, startSlurmctld, stopSlurmctld, type SlurmHandle } from '../test/services/slurm'
import { generateArchive } from './lib/generate-archive'
import { printTable, writeResult } from './lib/measure'

const quick = process.argv.includes('--quick')
const STUDIES = quick ? 100 : 1000
const BIG = quick || process.argv.includes('--no-10k') ? 0 : 10_000
const onlyAt = process.argv.indexOf('--only-arrays')
const ONLY = onlyAt > 0 ? Number(process.argv[onlyAt + 1]) : 0
const JOB = { type: 'bash', name: 'touch', script: 'echo "$NORA_PSID" > "$o1"', args: { o1: 'out/bench.txt' } }

type Row = Record<string, string | number>

async function bench(queue: 'local' | 'slurm', studies: number, submission: string, slurmConf = '', cancelWhenSubmitted?: SlurmHandle): Promise<Row> {
  const home = makeHome({ extra: `jobs: { queue: "${queue}", localWorkers: 2 }` })
  writeFileSync(join(home.home, 'conf', 'slurm.conf'), `{ pollMs: 500, defaults: { timeMinutes: 10, memMb: 100, cpus: 1 }${slurmConf} }`)
  const s = await openServices(loadConfig(home.home))
  try {
    const admin = { id: 0, username: 'console', displayName: 'console', email: '', isSiteAdmin: true, source: 'local' as const, disabled: false, createdAt: 0 }
    const project = await s.archive.createProject(admin, 'bench')
    await generateArchive(s.db, project.id, studies, 1, 1)
    const psids = Array.from({ length: studies }, (_, p) => `P${String(p).padStart(6, '0')}#S0`)
    const t0 = performance.now()
    const { batchId } = await s.jobs.launch(admin, 'bench', { studies: psids, jobs: [JOB] })
    const launchedMs = performance.now() - t0
    let submittedMs = 0
    let rssPeak = process.memoryUsage().rss
    const done = s.jobs.run(admin, batchId)
    const watcher = (async () => {
      for (;;) {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
        // The home is new: its gridjobs are this batch's (a cheap count, not to slow down what it measures).
        const row = await s.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM gridjobs WHERE external_id <> ''")
        if (Number(row?.n ?? 0) >= studies) return (submittedMs = performance.now() - t0)
        await Bun.sleep(100)
      }
    })()
    if (cancelWhenSubmitted) {
      await watcher
      const ids = await s.db.all<{ external_id: string }>("SELECT DISTINCT external_id FROM gridjobs WHERE external_id <> ''")
      slurmCmd(cancelWhenSubmitted, ['scancel', ...new Set(ids.map((r) => r.external_id.split('_')[0]!))])
    }
    const summary = await done
    const doneMs = performance.now() - t0
    await watcher
    const ids = (await s.db.all<{ external_id: string }>('SELECT g.external_id FROM gridjobs g JOIN commands c ON c.id = g.command_id WHERE c.batch_id = ?', [batchId])).map((r) => r.external_id)
    const submissions = queue === 'local' ? '' : new Set(ids.map((id) => id.split('_')[0])).size
    const ran = !cancelWhenSubmitted
    return { executor: queue, submission: ran ? submission : `${submission} (cancelled once submitted)`, studies, launched_s: +(launchedMs / 1000).toFixed(2), all_submitted_s: +(Math.min(submittedMs, doneMs) / 1000).toFixed(2), all_done_s: ran ? +(doneMs / 1000).toFixed(2) : '', jobs_per_s: ran ? +(studies / (doneMs / 1000)).toFixed(1) : '', errors: ran ? summary.errors : '', submissions, rss_peak_mb: Math.round(rssPeak / 1048576) }
  } finally {
    await s.close()
    home.cleanup()
  }
}

/** The bare anchor: `n` held single jobs by sbatch, 8 at once, then one held array of n; both cancelled at once. */
async function sbatchAnchor(h: SlurmHandle, n: number): Promise<Row[]> {
  const script = join(h.dir, 'anchor.sh')
  writeFileSync(script, '#!/bin/bash\ntrue\n', { mode: 0o755 })
  const argv = ['sbatch', '--parsable', '-H', '-J', 'anchor', '-p', 'DPXproc', '-o', '/dev/null']
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next++ < n) {
        const p = Bun.spawn([...argv, script], { env: h.env, stdout: 'ignore', stderr: 'inherit' })
        if ((await p.exited) !== 0) throw new Error('sbatch failed')
      }
    }),
  )
  const singleMs = performance.now() - t0
  const t1 = performance.now()
  slurmCmd(h, [...argv, `--array=0-${Math.min(n, 1001) - 1}`, script])
  const arrayMs = performance.now() - t1
  slurmCmd(h, ['scancel', '-n', 'anchor'])
  const row = (submission: string, ms: number, submissions: number) => ({ executor: 'sbatch', submission, studies: n, launched_s: '', all_submitted_s: +(ms / 1000).toFixed(2), all_done_s: '', jobs_per_s: '', errors: '', submissions, rss_peak_mb: '' })
  return [row(`${n} single jobs`, singleMs, n), row(`--array of ${Math.min(n, 1001)}`, arrayMs, 1)]
}

const rows: Row[] = ONLY ? [] : [await bench('local', STUDIES, 'processes')]
const privateCluster = !process.env.SLURM_CONF
const cluster = await slurm()
process.env.SLURM_CONF = cluster.conf
try {
  if (privateCluster) {
    appendFileSync(cluster.conf, 'MaxJobCount=100000\n')
    await stopSlurmctld(cluster)
    await startSlurmctld(cluster)
  }
  if (ONLY) rows.push(await bench('slurm', ONLY, 'arrays', '', cluster))
  else {
    rows.push(...(await sbatchAnchor(cluster, STUDIES)))
    rows.push(await bench('slurm', STUDIES, 'per run (before)', ', arrayMax: 1'))
    rows.push(await bench('slurm', STUDIES, 'arrays'))
    if (BIG) rows.push(await bench('slurm', BIG, 'arrays', '', cluster))
  }
} finally {
  await cluster.stop()
}
printTable(rows)
if (!ONLY) console.log(`wrote ${await writeResult(quick ? 'jobs-quick' : 'jobs', { note: 'local: 2 workers on this host; slurm: one node (16 CPUs configured, OverSubscribe FORCE:4), pollMs 500. "per run (before)": one sbatch per run, 8 at once (arrayMax 1); "arrays": one sbatch --array per batch step (MaxArraySize 1001: 10,000 runs are 10 arrays). submissions: sbatch calls. sbatch rows: the bare tool, held jobs, cancelled at once', rows })}`)
