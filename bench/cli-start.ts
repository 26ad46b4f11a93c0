// CLI start benchmark (issue 12, first two rows): `nora --version`, `nora --help`, `nora -p P --select '*'` and
// `nora -p P -a FILE --addtag t` on a small project, against a `bun build --compile` hello world in the same run.
// Timed by hyperfine (apt-get install hyperfine); medians in seconds and the ratio to the hello world.
//   bun run bench cli-start [--runs N]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { $ } from 'bun'
import { makeHome } from '../test/helpers/home'
import { ensureBinary, NORA } from '../test/helpers/nora-binary'
import { printTable, writeResult } from './lib/measure'

const runsAt = process.argv.indexOf('--runs')
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 30
if (!Bun.which('hyperfine')) throw new Error('hyperfine is missing: apt-get install hyperfine')

await ensureBinary()
const work = mkdtempSync(join(tmpdir(), 'nora-cli-bench-'))
const hello = join(work, 'hello')
writeFileSync(join(work, 'hello.ts'), "console.log('hello')\n")
await $`bun build --compile --minify --sourcemap=none ${join(work, 'hello.ts')} --outfile ${hello}`.quiet()

// A small project: one study with a few files, one of them to register with --add.
const home = makeHome()
const env = { ...process.env, ...home.env }
const nora = (...args: string[]) => $`${NORA} ${args}`.env(env).quiet()
await nora('init')
await nora('--createproject', 'bench')
const series = join(home.home, 'data', 'projects', 'bench', 'P1', 'S1', 'anat')
mkdirSync(series, { recursive: true })
for (let i = 0; i < 5; i++) writeFileSync(join(series, `f${i}.nii`), 'x')
await nora('-p', 'bench', '-a', join(series, 'f0.nii'))
const added = join(series, 'f1.nii')

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`
const cases: [string, string][] = [
  ['hello world (bun --compile)', q(hello)],
  ['nora --version', `${q(NORA)} --version`],
  ['nora --help', `${q(NORA)} --help`],
  ["nora -p P --select '*'", `${q(NORA)} -p bench --select '*'`],
  ['nora -p P -a FILE --addtag t', `${q(NORA)} -p bench -a ${q(added)} --addtag t`],
]
const json = join(work, 'hyperfine.json')
try {
  const args = ['--warmup', '3', '--runs', String(RUNS), '--export-json', json, '-N']
  for (const [name, cmd] of cases) args.push('-n', name, cmd)
  const proc = Bun.spawn(['hyperfine', ...args], { env, stdout: 'inherit', stderr: 'inherit' })
  if ((await proc.exited) !== 0) throw new Error('hyperfine failed')
  const results = (await Bun.file(json).json()).results as { command: string; median: number; mean: number; min: number; max: number }[]
  const anchor = results[0]!.median
  const rows = results.map((r) => ({ command: r.command, median_s: Number(r.median.toFixed(4)), min_s: Number(r.min.toFixed(4)), ratio: Number((r.median / anchor).toFixed(1)) }))
  console.log(`\nnora CLI start (hyperfine, ${RUNS} runs each, median)`)
  printTable(rows.map((r) => ({ command: r.command, 'median s': r.median_s.toFixed(3), 'min s': r.min_s.toFixed(3), 'x hello': r.ratio })))
  console.log(`\nwrote ${await writeResult('cli-start', { runs: RUNS, targets: { versionHelp: 0.05, selectAddtag: 0.1 }, results: rows })}`)
} finally {
  home.cleanup()
  rmSync(work, { recursive: true, force: true })
}
