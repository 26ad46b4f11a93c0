// Gridstats benchmark: GET /api/jobs (first page of 100, default "finished=1" listing and the default open-jobs
// view, and a text search) with 10,000 jobs in the table, on SQLite and on MariaDB side by side; median of 20.
//   bun run bench gridstats [--quick]      (--quick: 1,000 jobs)
import { httpDeps, openServices, type Services } from '../src/app'
import { loadConfig } from '../src/config/load-config'
import { createApp } from '../src/http/create-app'
import { makeHome } from '../test/helpers/home'
import { freshMysqlDatabase } from '../test/services/mariadb'
import { printTable, writeResult } from './lib/measure'

const quick = process.argv.includes('--quick')
const JOBS = quick ? 1_000 : 10_000
const RUNS = 20

async function fill(s: Services, userId: number, projectId: number) {
  const t0 = performance.now()
  await s.db.transaction(async (tx) => {
    const jobs = s.repos.jobs.withDb(tx)
    const b = await jobs.createBatch(projectId, userId, 'study', '{}', 'bench')
    for (let i = 0; i < JOBS; i++) {
      const run = await jobs.createRun(b, projectId, null, null, `P${i}#S1`)
      const c = await jobs.createCommand({ projectId, userId, subjectId: null, studyId: null, batchId: b, runId: run, position: 0, job: JSON.stringify({ type: 'bash', name: `job${i}`, script: 'true', args: [] }) })
      const g = await jobs.createGridjob(c, projectId, 'local', 'bench', '')
      await jobs.gridjobFinished(g, i % 10 === 0 ? 'error' : 'done', i % 10 === 0 ? 1 : 0, i % 10 === 0 ? 'exit code 1' : null)
    }
  })
  return performance.now() - t0
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function bench(dialect: 'sqlite' | 'mysql') {
  const fresh = dialect === 'mysql' ? await freshMysqlDatabase('nora_bench_gs') : undefined
  const home = makeHome({ mysql: fresh?.options })
  const s = await openServices(loadConfig(home.home))
  try {
    const user = await s.repos.users.create({ username: 'reader', passwordHash: null })
    const admin = await s.repos.users.create({ username: 'boss', passwordHash: null, isSiteAdmin: true })
    const project = await s.repos.projects.create('benchP')
    await s.repos.rights.grant(user.id, project.id, 'read')
    const fillMs = await fill(s, user.id, project.id)
    const app = createApp(httpDeps(s))
    const out: Record<string, number | string> = { dialect, jobs: JOBS, fillMs: Math.round(fillMs) }
    for (const [who, u] of [['user', user], ['admin', admin]] as const) {
      const token = await s.auth.createToken(u, 'bench')
      for (const [label, query] of [
        ['all', 'finished=1&limit=100'],
        ['open', 'limit=100'],
        ['search', 'finished=1&q=job9999&limit=100'],
        ['sortDuration', 'finished=1&sort=duration&limit=100'],
      ] as const) {
        const times: number[] = []
        for (let i = 0; i < RUNS + 2; i++) {
          const t0 = performance.now()
          const res = await app.handle(new Request(`http://bench/api/jobs?${query}`, { headers: { authorization: `Bearer ${token}` } }))
          const body = (await res.json()) as { jobs: unknown[]; total: number }
          if (res.status !== 200 || !body.jobs.length) throw new Error(`${dialect} ${query}: ${res.status}`)
          if (i >= 2) times.push(performance.now() - t0)
        }
        out[`${who}_${label}_ms`] = Number(median(times).toFixed(2))
      }
    }
    return out
  } finally {
    await s.close()
    home.cleanup()
    await fresh?.drop()
  }
}

const rows = [await bench('sqlite'), await bench('mysql')]
printTable(rows)
console.log(`wrote ${await writeResult(quick ? 'gridstats-quick' : 'gridstats', { jobs: JOBS, runs: RUNS, results: rows })}`)
