// DICOM receive benchmark (issue 12): a generated series of 512x512 instances (300; 100 with --quick) sent by
// dcmtk's storescu on one association (and on 8), to nora (which answers Success only once an instance's data and
// its directory entry are fsync'd) and, in the same run, to the anchors:
//   - dcmtk storescp (TCP_NODELAY, -pdu as nora's): the same transfer without any fsync;
//   - the disk alone: write + fsync + rename + directory fsync of each instance's bytes, no network;
//   - Orthanc with --orthanc (slow: ~20 img/s on one association).
// Medians of --runs N (default 3, 1 with --quick) runs each; plus the time from the last instance acknowledged to
// the study visible in the project. Results in bench/results/receive.json (receive-quick.json).
//   bun run bench receive [--quick] [--runs N] [--orthanc]
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, makeHome } from '../test/helpers/home'
import { ensureBinary, NORA } from '../test/helpers/nora-binary'
import { printTable, writeResult } from './lib/measure'

const argv = process.argv.slice(2)
const quick = argv.includes('--quick')
const withOrthanc = argv.includes('--orthanc')
const runsArg = argv.indexOf('--runs')
const RUNS = runsArg >= 0 ? Math.max(1, Number(argv[runsArg + 1])) : quick ? 1 : 3
const N = quick ? 100 : 300
const MAX_PDU = 131072 // nora's default dicom.maxPdu; storescp is given the same
const work = join(tmpdir(), 'nora-bench-receive')
const series = join(work, `ct${N}`)
const warmSeries = join(work, 'warm20')
for (const [dir, count, patient] of [
  [series, N, 'RECV0001'],
  [warmSeries, 20, 'WARM0001'],
] as const) {
  if (existsSync(dir)) continue
  mkdirSync(work, { recursive: true })
  const gen = Bun.spawnSync(['/usr/bin/python3', join(import.meta.dir, '../test/fixtures/generate/make-study.py'), dir, '1', String(count), '512', patient])
  if (gen.exitCode !== 0) throw new Error(gen.stderr.toString())
}
const listed = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map((f) => join(dir, f))
const files = listed(series)
const warmFiles = listed(warmSeries)
/** dcmtk disables Nagle's algorithm only when asked (without it, every C-STORE waits for a delayed ACK). */
const DCMTK_ENV = { ...process.env, TCP_NODELAY: '1' }

/** Sends `list` with `parallel` storescu processes (one association each); returns wall seconds. */
async function send(list: string[], aec: string, port: number, parallel: number): Promise<number> {
  const t0 = performance.now()
  const procs = Array.from({ length: parallel }, (_, k) => {
    const part = list.filter((_f, i) => i % parallel === k)
    return Bun.spawn(['storescu', '-aec', aec, '-aet', 'BENCH', '127.0.0.1', String(port), ...part], { stdout: 'ignore', stderr: 'pipe', env: DCMTK_ENV })
  })
  const codes = await Promise.all(procs.map((p) => p.exited))
  if (codes.some((c) => c !== 0)) throw new Error(`storescu failed: ${await new Response(procs[0]!.stderr).text()}`)
  return (performance.now() - t0) / 1000
}

async function waitUntil(check: () => Promise<boolean> | boolean, ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await Bun.sleep(50)
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

interface Measured {
  peer: string
  associations: number
  rates: number[]
  visible?: number
}
const measured: Measured[] = []

/** The disk alone: each instance's bytes written to a temp file, fsync'd, renamed into a folder, the folder fsync'd. */
function diskAlone(): number {
  const dir = mkdtempSync(join(tmpdir(), 'nora-bench-disk-'))
  const into = join(dir, 'study')
  mkdirSync(into)
  const bytes = files.map((f) => readFileSync(f))
  try {
    const t0 = performance.now()
    bytes.forEach((b, i) => {
      const temp = join(dir, `${i}.part`)
      const fd = openSync(temp, 'w')
      for (let done = 0; done < b.length; ) done += writeSync(fd, b, done)
      fsyncSync(fd)
      closeSync(fd)
      renameSync(temp, join(into, `${i}.dcm`))
      const dfd = openSync(into, 'r')
      fsyncSync(dfd)
      closeSync(dfd)
    })
    return N / ((performance.now() - t0) / 1000)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** dcmtk's storescp writing each instance to a folder (no fsync: it has none). */
async function storescp(parallel: number): Promise<number[]> {
  const out = mkdtempSync(join(tmpdir(), 'nora-bench-storescp-'))
  const port = freePort()
  const args = ['storescp', '-od', out, '-pdu', String(MAX_PDU), ...(parallel > 1 ? ['--fork'] : []), String(port)]
  const scp = Bun.spawn(args, { stdout: 'ignore', stderr: 'ignore', env: DCMTK_ENV })
  try {
    await waitUntil(() => Bun.spawnSync(['echoscu', '127.0.0.1', String(port)], { env: DCMTK_ENV }).exitCode === 0, 30_000)
    const rates: number[] = []
    for (let r = 0; r < RUNS; r++) {
      rates.push(N / (await send(files, 'STORESCP', port, parallel)))
      for (const f of readdirSync(out)) rmSync(join(out, f), { recursive: true, force: true })
    }
    return rates
  } finally {
    scp.kill()
    await scp.exited
    rmSync(out, { recursive: true, force: true })
  }
}

/** nora (the built binary) started once; a warm-up association, then RUNS sends of the series, each imported before the next. */
async function nora(parallel: number): Promise<Measured> {
  const home = makeHome({ dicom: 'quietSeconds: 30' })
  const run = (...args: string[]) => Bun.spawnSync([NORA, ...args], { cwd: home.home, env: { ...process.env, NORA_HOME: home.home } })
  run('init')
  writeFileSync(join(home.home, 'conf/routes.conf'), '{ defaultProject: "bench" }')
  run('--createproject', 'bench')
  const started = run('start')
  if (started.exitCode !== 0) throw new Error(`nora start failed: ${started.stderr}`)
  const spool = join(home.home, 'data/spool')
  const drained = () => readdirSync(spool).every((f) => f === 'incoming' || f === 'failed')
  const { Database } = await import('bun:sqlite')
  const instances = () => {
    const d = new Database(join(home.home, 'data/nora.db'), { readonly: true })
    try {
      return (d.query('SELECT COALESCE(SUM(instances), 0) AS n FROM dicom_series').get() as { n: number }).n
    } finally {
      d.close()
    }
  }
  try {
    await send(warmFiles, 'NORA', home.dicomPort, 1)
    await waitUntil(() => drained() && instances() >= warmFiles.length)
    const m: Measured = { peer: 'nora', associations: parallel, rates: [] }
    for (let r = 0; r < RUNS; r++) {
      const s = await send(files, 'NORA', home.dicomPort, parallel)
      const sent = performance.now()
      m.rates.push(N / s)
      // The next run starts once this one is imported (the series again: the import skips what is in).
      await waitUntil(() => drained() && instances() >= warmFiles.length + N)
      if (r === 0) m.visible = (performance.now() - sent) / 1000
    }
    return m
  } finally {
    run('stop')
    home.cleanup()
  }
}

/** Orthanc as the recipe runs it. */
async function orthanc(parallel: number): Promise<number[]> {
  const odir = mkdtempSync(join(tmpdir(), 'nora-orthanc-'))
  const [ohttp, odicom] = [freePort(), freePort()]
  writeFileSync(join(odir, 'orthanc.json'), JSON.stringify({ Name: 'bench', StorageDirectory: join(odir, 'db'), IndexDirectory: join(odir, 'db'), HttpPort: ohttp, RemoteAccessAllowed: false, AuthenticationEnabled: false, DicomServerEnabled: true, DicomAet: 'ORTHANC', DicomPort: odicom, DicomCheckCalledAet: false, Plugins: [] }))
  const proc = Bun.spawn(['Orthanc', join(odir, 'orthanc.json')], { stdout: 'ignore', stderr: 'ignore' })
  try {
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${ohttp}/system`).catch(() => undefined))?.ok === true, 30_000)
    const rates: number[] = []
    for (let r = 0; r < RUNS; r++) {
      for (const id of (await (await fetch(`http://127.0.0.1:${ohttp}/studies`)).json()) as string[]) await fetch(`http://127.0.0.1:${ohttp}/studies/${id}`, { method: 'DELETE' })
      rates.push(N / (await send(files, 'ORTHANC', odicom, parallel)))
    }
    return rates
  } finally {
    proc.kill()
    await proc.exited
    rmSync(odir, { recursive: true, force: true })
  }
}

await ensureBinary()
const disk: number[] = []
for (let r = 0; r < RUNS; r++) disk.push(diskAlone())
measured.push({ peer: 'disk alone: write+fsync+rename+dir fsync', associations: 0, rates: disk })
for (const parallel of [1, 8]) {
  measured.push({ peer: 'dcmtk storescp (no fsync)', associations: parallel, rates: await storescp(parallel) })
  measured.push(await nora(parallel))
  if (withOrthanc) measured.push({ peer: 'Orthanc', associations: parallel, rates: await orthanc(parallel) })
}

const storescp1 = median(measured.find((m) => m.peer.startsWith('dcmtk') && m.associations === 1)!.rates)
const diskRate = median(disk)
const rows = measured.map((m) => ({
  peer: m.peer,
  associations: m.associations || '',
  instances: N,
  runs: m.rates.length,
  'img/s median': median(m.rates).toFixed(0),
  'img/s runs': m.rates.map((r) => r.toFixed(0)).join(' '),
  'vs storescp x1': (median(m.rates) / storescp1).toFixed(2),
  'vs disk alone': (median(m.rates) / diskRate).toFixed(2),
  'last instance -> visible s': m.visible === undefined ? '' : m.visible.toFixed(2),
}))
printTable(rows)
console.log(`\nwrote ${await writeResult(quick ? 'receive-quick' : 'receive', { instances: N, size: '512x512 int16', runs: RUNS, rows })}`)
