// Jobs benchmark: a one-job batch over 1,000 studies on the local executor and on Slurm, side by side:
// time to launch (runs and commands in the store), to all handed to the executor, and to all done.
//   bun run bench jobs [--quick]     (--quick: 100 studies)
// Slurm: the cluster of SLURM_CONF (test/run.sh's), else a private one started and stopped here.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openServices } from '../src/app'
import { loadConfig } from '../src/config/load-config'
import { makeHome } from '../test/helpers/home'
import { slurm } from '../test/services/slurm'
import { generateArchive } from './lib/generate-archive'
import { printTable, writeResult } from './lib/measure'

const quick = process.argv.includes('--quick')
const STUDIES = quick ? 100 : 1000
const JOB = { type: 'bash', name: 'touch', script: 'echo "$NORA_PSID" > "$o1"', args: { o1: 'out/bench.txt' } }

async function bench(queue: 'local' | 'slurm') {
  const home = makeHome({ extra: `jobs: { queue: "${queue}", localWorkers: 2 }` })
  writeFileSync(join(home.home, 'conf', 'slurm.conf'), '{ pollMs: 500, defaults: { timeMinutes: 10, memMb: 100, cpus: 1 } }')
  const s = await openServices(loadConfig(home.home))
  try {
    const admin = { id: 0, username: 'console', displayName: 'console', email: '', isSiteAdmin: true, source: 'local' as const, disabled: false, createdAt: 0 }
    const project = await s.archive.createProject(admin, 'bench')
    await generateArchive(s.db, project.id, STUDIES, 1, 1)
    const studies = Array.from({ length: STUDIES }, (_, p) => `P${String(p).padStart(6, '0')}#S0`)
    const t0 = performance.now()
    const { batchId } = await s.jobs.launch(admin, 'bench', { studies, jobs: [JOB] })
    const launchedMs = performance.now() - t0
    let submittedMs = 0
    let rssPeak = process.memoryUsage().rss
    const done = s.jobs.run(admin, batchId)
    const watcher = (async () => {
      for (;;) {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
        const row = await s.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM gridjobs g JOIN commands c ON c.id = g.command_id WHERE c.batch_id = ? AND g.external_id IS NOT NULL AND g.external_id <> ''", [batchId])
        if (Number(row?.n ?? 0) >= STUDIES) return (submittedMs = performance.now() - t0)
        await Bun.sleep(50)
      }
    })()
    const summary = await done
    const doneMs = performance.now() - t0
    await watcher
    return { executor: queue, studies: STUDIES, launched_s: +(launchedMs / 1000).toFixed(2), all_submitted_s: +(Math.min(submittedMs, doneMs) / 1000).toFixed(2), all_done_s: +(doneMs / 1000).toFixed(2), jobs_per_s: +(STUDIES / (doneMs / 1000)).toFixed(1), errors: summary.errors, rss_peak_mb: Math.round(rssPeak / 1048576) }
  } finally {
    await s.close()
    home.cleanup()
  }
}

const rows = [await bench('local')]
const cluster = await slurm()
process.env.SLURM_CONF = cluster.conf
try {
  rows.push(await bench('slurm'))
} finally {
  await cluster.stop()
}
printTable(rows)
console.log(`wrote ${await writeResult(quick ? 'jobs-quick' : 'jobs', { note: 'local: 2 workers on this host; slurm: one node (16 CPUs configured, OverSubscribe FORCE:4), pollMs 500, sbatch calls 8 at once', rows })}`)
