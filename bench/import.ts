// Import benchmark: instances per second for a 2,000-instance zip by CLI and by curl, native dcm2niix on the same
// instances beside it, and peak RSS of the CLI importing a ~250 MB and a ~1 GB zip (it must not grow with size).
//   bun run bench import [--quick]
import { existsSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeHome, type TestHome } from '../test/helpers/home'
import { ensureBinary, NORA } from '../test/helpers/nora-binary'
import { measure, printTable, writeResult } from './lib/measure'

const quick = process.argv.includes('--quick')
const work = join(tmpdir(), 'nora-bench-import')
mkdirSync(work, { recursive: true })
const generator = join(import.meta.dir, '../test/fixtures/generate/make-study.py')

/** A generated study (series x slices of 256x256) and its zip, cached between runs. */
function dataset(name: string, series: number, slices: number, stored: boolean): { dir: string; zip: string; instances: number } {
  const dir = join(work, name)
  const zip = `${dir}.zip`
  if (!existsSync(zip)) {
    const gen = Bun.spawnSync(['/usr/bin/python3', generator, dir, String(series), String(slices), '256', name.toUpperCase()])
    if (gen.exitCode !== 0) throw new Error(gen.stderr.toString())
    const z = Bun.spawnSync(['/usr/bin/python3', '-c', `import shutil,zipfile,sys,os\nwith zipfile.ZipFile(sys.argv[1],'w',zipfile.${stored ? 'ZIP_STORED' : 'ZIP_DEFLATED'}) as z:\n  [z.write(os.path.join(sys.argv[2],f),f) for f in sorted(os.listdir(sys.argv[2]))]`, zip, dir])
    if (z.exitCode !== 0) throw new Error(z.stderr.toString())
  }
  return { dir, zip, instances: series * slices }
}

const nora = (home: TestHome, ...args: string[]) => measure([NORA, ...args], { cwd: home.home, env: home.env })
async function freshHome(): Promise<TestHome> {
  const h = makeHome()
  await nora(h, 'init')
  await nora(h, '--createproject', 'bench')
  return h
}

await ensureBinary()
const rows: Record<string, string | number>[] = []
const results: Record<string, unknown> = {}
const ds = quick ? dataset('small', 4, 50, false) : dataset('i2000', 20, 100, false)
const mb = (Bun.file(ds.zip).size / 1e6).toFixed(0)

// native dcm2niix on the unpacked folder: the conversion alone, the floor for any importer
const outNative = join(work, 'native-out')
Bun.spawnSync(['rm', '-rf', outNative])
mkdirSync(outNative)
const native = await measure(['dcm2niix', '-b', 'y', '-z', 'n', '-o', outNative, ds.dir])
rows.push({ what: `native dcm2niix, folder (${ds.instances} inst.)`, 'wall s': (native.wallMs / 1000).toFixed(2), 'inst/s': (ds.instances / (native.wallMs / 1000)).toFixed(0), 'peak RSS MB': native.peakRssMb.toFixed(0) })

// nora CLI
{
  const h = await freshHome()
  const r = await nora(h, '-p', 'bench', '--import', ds.zip)
  if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`)
  rows.push({ what: `nora --import, zip ${mb} MB`, 'wall s': (r.wallMs / 1000).toFixed(2), 'inst/s': (ds.instances / (r.wallMs / 1000)).toFixed(0), 'peak RSS MB': r.peakRssMb.toFixed(0) })
  results.cli = { wallMs: r.wallMs, peakRssMb: r.peakRssMb }
  h.cleanup()
}

// nora over HTTP, the seed's curl call: upload, then poll until the import is done
{
  const h = await freshHome()
  await nora(h, '--admin', 'adduser', 'bench', '--password', 'bench-pass-1')
  await nora(h, '--admin', 'grant', 'bench', 'bench', 'write')
  const token = (await new Response(Bun.spawn([NORA, '--admin', 'token', 'bench'], { cwd: h.home, env: { ...process.env, ...h.env } }).stdout).text()).trim()
  await nora(h, 'start')
  const t0 = performance.now()
  const curl = Bun.spawnSync(['curl', '-s', `${h.url}index.php?project=bench`, '-F', `call={"cmd":"import","user":"bench","token":"${token}"}`, '-F', `thefile=@${ds.zip};type=application/zip`])
  const { id } = JSON.parse(curl.stdout.toString())
  const uploaded = performance.now()
  for (;;) {
    const s = (await (await fetch(`${h.url}api/imports/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { state: string }
    if (s.state === 'done' || s.state === 'failed') break
    await Bun.sleep(50)
  }
  const wall = performance.now() - t0
  rows.push({ what: `curl index.php, zip ${mb} MB (upload ${((uploaded - t0) / 1000).toFixed(2)} s)`, 'wall s': (wall / 1000).toFixed(2), 'inst/s': (ds.instances / (wall / 1000)).toFixed(0), 'peak RSS MB': '' })
  results.curl = { wallMs: wall, uploadMs: uploaded - t0 }
  await nora(h, 'stop')
  h.cleanup()
}

// peak RSS against zip size: ~250 MB vs ~1 GB (stored, so the zip is as large as its content)
if (!quick) {
  for (const [name, series, slices] of [['rss250', 20, 95], ['rss1g', 40, 190]] as const) {
    const big = dataset(name, series, slices, true)
    const h = await freshHome()
    const r = await nora(h, '-p', 'bench', '--import', big.zip)
    const size = (Bun.file(big.zip).size / 1e6).toFixed(0)
    rows.push({ what: `nora --import, stored zip ${size} MB (${big.instances} inst.)`, 'wall s': (r.wallMs / 1000).toFixed(2), 'inst/s': (big.instances / (r.wallMs / 1000)).toFixed(0), 'peak RSS MB': r.peakRssMb.toFixed(0) })
    results[name] = { zipMb: Number(size), wallMs: r.wallMs, peakRssMb: r.peakRssMb }
    h.cleanup()
  }
}

printTable(rows)
console.log(`\nwrote ${await writeResult(quick ? 'import-quick' : 'import', { rows, ...results })}`)
