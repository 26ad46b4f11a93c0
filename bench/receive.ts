// DICOM receive benchmark: a generated 500-instance CT-like series (512x512) sent by dcmtk's storescu with 1 and
// with 8 parallel associations, to nora and to Orthanc on the same machine in the same run; and the time from the
// last instance acknowledged to the study visible in the project.
//   bun run bench receive [--quick]
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, makeHome } from '../test/helpers/home'
import { ensureBinary, NORA } from '../test/helpers/nora-binary'
import { printTable, writeResult } from './lib/measure'

const quick = process.argv.includes('--quick')
const N = quick ? 100 : 500
const work = join(tmpdir(), 'nora-bench-receive')
const series = join(work, `ct${N}`)
if (!existsSync(series)) {
  mkdirSync(work, { recursive: true })
  const gen = Bun.spawnSync(['/usr/bin/python3', join(import.meta.dir, '../test/fixtures/generate/make-study.py'), series, '1', String(N), '512', 'RECV0001'])
  if (gen.exitCode !== 0) throw new Error(gen.stderr.toString())
}
const files = readdirSync(series).sort().map((f) => join(series, f))

/** Sends the files with `parallel` storescu processes (one association each); returns wall seconds. */
async function send(aec: string, port: number, parallel: number): Promise<number> {
  const t0 = performance.now()
  const procs = Array.from({ length: parallel }, (_, k) => {
    const part = files.filter((_f, i) => i % parallel === k)
    return Bun.spawn(['storescu', '-aec', aec, '-aet', 'BENCH', '127.0.0.1', String(port), ...part], { stdout: 'ignore', stderr: 'pipe' })
  })
  const codes = await Promise.all(procs.map((p) => p.exited))
  if (codes.some((c) => c !== 0)) throw new Error(`storescu failed: ${await new Response(procs[0]!.stderr).text()}`)
  return (performance.now() - t0) / 1000
}

async function waitUntil(check: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await Bun.sleep(50)
  }
}

const rows: Record<string, string | number>[] = []

// Orthanc, as the recipe runs it
const odir = mkdtempSync(join(tmpdir(), 'nora-orthanc-'))
const [ohttp, odicom] = [freePort(), freePort()]
writeFileSync(join(odir, 'orthanc.json'), JSON.stringify({ Name: 'bench', StorageDirectory: join(odir, 'db'), IndexDirectory: join(odir, 'db'), HttpPort: ohttp, RemoteAccessAllowed: false, AuthenticationEnabled: false, DicomServerEnabled: true, DicomAet: 'ORTHANC', DicomPort: odicom, DicomCheckCalledAet: false, Plugins: [] }))
const orthanc = Bun.spawn(['Orthanc', join(odir, 'orthanc.json')], { stdout: 'ignore', stderr: 'ignore' })
try {
  await waitUntil(async () => (await fetch(`http://127.0.0.1:${ohttp}/system`).catch(() => undefined))?.ok === true, 30_000)
  for (const parallel of [1, 8]) {
    for (const id of (await (await fetch(`http://127.0.0.1:${ohttp}/studies`)).json()) as string[]) await fetch(`http://127.0.0.1:${ohttp}/studies/${id}`, { method: 'DELETE' })
    const s = await send('ORTHANC', odicom, parallel)
    rows.push({ peer: 'Orthanc', associations: parallel, instances: N, 'wall s': s.toFixed(2), 'img/s': (N / s).toFixed(0), 'last instance -> visible s': '' })
  }
} finally {
  orthanc.kill()
  await orthanc.exited
  rmSync(odir, { recursive: true, force: true })
}

// nora (built binary), import when the senders release
await ensureBinary()
for (const parallel of [1, 8]) {
  const home = makeHome({ dicom: 'quietSeconds: 30' })
  const nora = (...args: string[]) => Bun.spawnSync([NORA, ...args], { cwd: home.home, env: { ...process.env, NORA_HOME: home.home } })
  nora('init')
  writeFileSync(join(home.home, 'conf/routes.conf'), '{ defaultProject: "bench" }')
  nora('--createproject', 'bench')
  nora('start')
  try {
    const s = await send('NORA', home.dicomPort, parallel)
    const sent = performance.now()
    const db = join(home.home, 'data/nora.db')
    const { Database } = await import('bun:sqlite')
    await waitUntil(async () => {
      const d = new Database(db, { readonly: true })
      try {
        const r = d.query("SELECT instances FROM dicom_series").all() as { instances: number }[]
        return r.reduce((n, x) => n + x.instances, 0) >= N
      } finally {
        d.close()
      }
    })
    const visible = (performance.now() - sent) / 1000
    rows.push({ peer: 'nora', associations: parallel, instances: N, 'wall s': s.toFixed(2), 'img/s': (N / s).toFixed(0), 'last instance -> visible s': visible.toFixed(2) })
  } finally {
    nora('stop')
    home.cleanup()
  }
}

printTable(rows)
console.log(`\nwrote ${await writeResult(quick ? 'receive-quick' : 'receive', { rows })}`)
