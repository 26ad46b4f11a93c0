// bun run bench table [--quick]: the desktop table's first page through GET /api/projects/:p/studies on a generated
// project of 100,000 studies and 1,000,000 files (10,000 subjects x 10 studies x 10 files; --quick: 1/100 of it),
// SQLite and MariaDB on the same data, side by side: the plain first page, a file search that matches nearly every
// study (`t1_mprage`), a file search of 3 OR terms and one `&`, a name search with PTAG, and JOB:e. Median of 10
// requests each (after one warm-up), through the real HTTP app (app.handle), with an API token; the last table
// puts the two dialects' medians next to each other with their ratio.
import { httpDeps, openServices } from '../src/app'
import { loadConfig } from '../src/config/load-config'
import { createApp } from '../src/http/create-app'
import { makeHome } from '../test/helpers/home'
import { freshMysqlDatabase } from '../test/services/mariadb'
import { generateArchive } from './lib/generate-archive'
import { printTable, writeResult } from './lib/measure'

const quick = process.argv.includes('--quick')
const [SUBJECTS, STUDIES, FILES] = quick ? [100, 10, 10] : [10_000, 10, 10]
const RUNS = 10

const QUERIES: { label: string; query: Record<string, string> }[] = [
  { label: 'plain first page', query: {} },
  { label: 'file: t1_mprage (nearly every study)', query: { file: 't1_mprage' } },
  { label: 'file: 3 OR terms, one & (STAG)', query: { file: 't1_mprage/s1*.nii flair/s9* dwi/s003.nii & STAG:control' } },
  { label: 'name: 3 OR terms, one & (PTAG)', query: { name: 'Doe^Subject12 Doe^Subject7 Doe^Subject99 & PTAG:pilot' } },
  { label: 'q: JOB:e', query: { q: 'JOB:e' } },
]

/**
 * The medians before the driving set / skip scan / files (study_id, path_lc) index (commit 8bb5d88, full size, this
 * machine, 2026-11-25), printed beside each run's numbers so a regression shows.
 */
const BEFORE: Record<'sqlite' | 'mariadb', (number | undefined)[]> = { sqlite: [15.8, undefined, 82.7, 9.9, 12.9], mariadb: [38.9, undefined, 232.9, 53.4, 97.2] }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const rows: Record<string, string | number>[] = []
const mysql = await freshMysqlDatabase('nora_bench_table')
try {
  for (const [dialect, home] of [
    ['sqlite', makeHome()],
    ['mariadb', makeHome({ mysql: mysql.options })],
  ] as const) {
    const s = await openServices(loadConfig(home.home, {}))
    try {
      const t0 = performance.now()
      const project = await s.repos.projects.create('bench')
      const files = await generateArchive(s.db, project.id, SUBJECTS, STUDIES, FILES, (n) => process.stderr.write(`\r${dialect}: generated ${n} files`))
      // Tags and jobs for the filters: every 10th study "control", every 20th subject "pilot", an error job on every 1000th study.
      await s.db.run("INSERT INTO study_tags (study_id, tag) SELECT id, 'control' FROM studies WHERE project_id = ? AND id % 10 = 0", [project.id])
      await s.db.run("INSERT INTO subject_tags (subject_id, tag) SELECT id, 'pilot' FROM subjects WHERE project_id = ? AND id % 20 = 0", [project.id])
      await s.db.run(
        "INSERT INTO commands (project_id, subject_id, study_id, position, job, state, created_at) SELECT project_id, subject_id, id, 0, '{}', 'error', 0 FROM studies WHERE project_id = ? AND id % 1000 = 0",
        [project.id],
      )
      if (s.db.dialect === 'sqlite') await s.db.run('ANALYZE')
      else for (const t of ['subjects', 'studies', 'files', 'study_tags', 'subject_tags', 'commands']) await s.db.run(`ANALYZE TABLE ${t}`)
      process.stderr.write(`\r${dialect}: generated ${files} files in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)

      const admin = await s.repos.users.create({ username: 'bench', passwordHash: 'x', isSiteAdmin: true })
      const token = await s.auth.createToken(admin, 'bench')
      const app = createApp(httpDeps(s))
      for (const q of QUERIES) {
        const url = `http://bench.local/api/projects/bench/studies?${new URLSearchParams({ ...q.query, limit: '50' })}`
        const get = async () => {
          const t = performance.now()
          const res = await app.handle(new Request(url, { headers: { authorization: `Bearer ${token}` } }))
          const body = (await res.json()) as { total: number; rows: unknown[] }
          if (res.status !== 200) throw new Error(`${q.label}: ${res.status} ${JSON.stringify(body)}`)
          return { ms: performance.now() - t, total: body.total, rows: body.rows.length }
        }
        await get()
        const times: number[] = []
        let last = { total: 0, rows: 0 }
        for (let i = 0; i < RUNS; i++) {
          const r = await get()
          times.push(r.ms)
          last = r
        }
        rows.push({ dialect, query: q.label, ...(quick ? {} : { 'before ms': BEFORE[dialect][QUERIES.indexOf(q)]?.toFixed(1) ?? '' }), 'median ms': median(times).toFixed(1), 'min ms': Math.min(...times).toFixed(1), 'max ms': Math.max(...times).toFixed(1), total: last.total, rows: last.rows })
        process.stderr.write(`${dialect}: ${q.label}: ${median(times).toFixed(1)} ms (${last.total} matches)\n`)
      }
    } finally {
      await s.close()
      home.cleanup()
    }
  }
} finally {
  await mysql.drop()
}

console.log(`\nnora table benchmark (${SUBJECTS * STUDIES} studies, ${SUBJECTS * STUDIES * FILES} files; first page of 50, median of ${RUNS}; target < 100 ms, MariaDB <= 150 ms)`)
printTable(rows)
// The same data and queries on both dialects, in one run: MariaDB's median beside SQLite's.
const medianOf = (dialect: string, label: string) => Number(rows.find((r) => r.dialect === dialect && r.query === label)?.['median ms'])
const sideBySide = QUERIES.map((q) => {
  const [sqlite, mariadb] = [medianOf('sqlite', q.label), medianOf('mariadb', q.label)]
  return { query: q.label, 'SQLite ms': sqlite.toFixed(1), 'MariaDB ms': mariadb.toFixed(1), 'MariaDB / SQLite': (mariadb / sqlite).toFixed(2), total: rows.find((r) => r.query === q.label)?.total ?? '' }
})
console.log('\nside by side (medians)')
printTable(sideBySide)
console.log(`\nwrote ${await writeResult(quick ? 'table-quick' : 'table', { studies: SUBJECTS * STUDIES, files: SUBJECTS * STUDIES * FILES, runs: RUNS, queries: QUERIES, results: rows, sideBySide })}`)
