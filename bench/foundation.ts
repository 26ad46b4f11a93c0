// Foundation benchmark: binary size, `nora start` to healthy, idle RSS, and `--select --json` on a generated
// project of 10,000 studies and 1,000,000 files, SQLite and MariaDB side by side.
//   bun run bench foundation [--quick]      (--quick: 100 studies, 10,000 files)
import { statSync } from 'node:fs'
import { openServices } from '../src/app'
import { loadConfig } from '../src/config/load-config'
import { freshMysqlDatabase } from '../test/services/mariadb'
import { makeHome, type TestHome } from '../test/helpers/home'
import { ensureBinary, NORA } from '../test/helpers/nora-binary'
import { generateArchive } from './lib/generate-archive'
import { measure, printTable, rssMbOf, writeResult } from './lib/measure'

const quick = process.argv.includes('--quick')
const [SUBJECTS, STUDIES, FILES] = quick ? [10, 10, 100] : [1000, 10, 100]

await ensureBinary()
const nora = (home: TestHome, ...args: string[]) => measure([NORA, ...args], { cwd: home.home, env: home.env })

// 1. binary size
const binaryMb = statSync(NORA).size / 1e6

// 2. start to healthy, idle RSS (SQLite home)
const home = makeHome()
await nora(home, 'init')
const starts: number[] = []
let idleRssMb = 0
for (let i = 0; i < 3; i++) {
  const r = await nora(home, 'start')
  if (r.code !== 0) throw new Error(`nora start failed: ${r.stderr}`)
  starts.push(r.wallMs)
  if (i === 0) {
    await Bun.sleep(3000)
    const pid = Number(await Bun.file(`${home.home}/data/nora.pid`).text())
    idleRssMb = rssMbOf(pid)
  }
  await nora(home, 'stop')
}
home.cleanup()
starts.sort((a, b) => a - b)

// 3. --select --json, both dialects
const selects: Record<string, string | number>[] = []
const mysql = await freshMysqlDatabase('nora_bench')
try {
  for (const [dialect, h] of [
    ['sqlite', makeHome()],
    ['mariadb', makeHome({ mysql: mysql.options })],
  ] as const) {
    await nora(h, 'init')
    const s = await openServices(loadConfig(h.home, {}))
    const t0 = performance.now()
    const project = await s.repos.projects.create('bench')
    const files = await generateArchive(s.db, project.id, SUBJECTS, STUDIES, FILES, (n) => process.stderr.write(`\r${dialect}: generated ${n} files`))
    process.stderr.write(`\r${dialect}: generated ${files} files in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
    await s.close()
    for (const [label, pattern] of [
      ['all files', '*'],
      ['one series (10%)', 't1_mprage/*'],
      ['one study', 'P000007#S3/*'],
    ] as const) {
      const r = await nora(h, '-p', 'bench', '--select', pattern, '--json')
      if (r.code !== 0) throw new Error(`select failed: ${r.stderr}`)
      selects.push({ dialect, query: label, pattern, 'wall s': (r.wallMs / 1000).toFixed(2), 'peak RSS MB': r.peakRssMb.toFixed(0), 'output MB': (r.stdoutBytes / 1e6).toFixed(1) })
    }
    h.cleanup()
  }
} finally {
  await mysql.drop()
}

console.log(`\nnora foundation benchmark (${SUBJECTS * STUDIES} studies, ${SUBJECTS * STUDIES * FILES} files)`)
printTable([
  { measure: 'binary size', value: `${binaryMb.toFixed(1)} MB` },
  { measure: 'nora start -> healthy (median of 3)', value: `${starts[1]!.toFixed(0)} ms` },
  { measure: 'idle RSS after start', value: `${idleRssMb.toFixed(0)} MB` },
])
console.log()
printTable(selects)
console.log(`\nwrote ${await writeResult(quick ? 'foundation-quick' : 'foundation', { binaryMb, startMs: starts, idleRssMb, studies: SUBJECTS * STUDIES, files: SUBJECTS * STUDIES * FILES, selects })}`)
