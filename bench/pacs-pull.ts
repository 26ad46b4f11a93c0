// PACS pull benchmark: wall time of a C-MOVE pull of pydicom's 7 dicomdirtests studies from Orthanc into nora
// (`nora -p P pacs pull NODE --from-file`, C-FIND + C-MOVE + import to NIfTI, in-process runner), side by side with
// dcmtk's movescu of the same studies from the same Orthanc into dcmtk's storescp (receive only, no conversion).
//   bun run bench pacs-pull [--rounds N]
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, makeHome } from '../test/helpers/home'
import { ensureBinary, NORA } from '../test/helpers/nora-binary'
import { DICOMDIRTESTS, startOrthanc } from '../test/services/orthanc'
import { printTable, writeResult } from './lib/measure'

const roundsArg = process.argv.indexOf('--rounds')
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3
await ensureBinary()

const homes = [makeHome({ dicom: 'pullParallel: 1' }), makeHome({ dicom: 'pullParallel: 2' })]
const peerPort = freePort()
const orthanc = await startOrthanc({ nora1: ['NORA', '127.0.0.1', homes[0]!.dicomPort], nora2: ['NORA2', '127.0.0.1', homes[1]!.dicomPort], peer: ['PEER', '127.0.0.1', peerPort] })
const rows: Record<string, string | number>[] = []
const countFiles = (dir: string): number => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length
try {
  orthanc.load(DICOMDIRTESTS, 'NORA')
  const uids: string[] = []
  let instances = 0
  for (const id of (await (await fetch(`${orthanc.url}studies`)).json()) as string[]) {
    uids.push(((await (await fetch(`${orthanc.url}studies/${id}`)).json()) as { MainDicomTags: { StudyInstanceUID: string } }).MainDicomTags.StudyInstanceUID)
    instances += ((await (await fetch(`${orthanc.url}studies/${id}/instances`)).json()) as unknown[]).length
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

  // dcmtk: storescp as the move destination, movescu study by study (one association each), as a script would.
  const times: number[] = []
  for (let r = 0; r < rounds; r++) {
    const out = mkdtempSync(join(tmpdir(), 'nora-bench-storescp-'))
    const scp = Bun.spawn(['storescp', '-aet', 'PEER', '-od', out, String(peerPort)], { stdout: 'ignore', stderr: 'ignore' })
    await Bun.sleep(300)
    const t0 = performance.now()
    for (const uid of uids) {
      const m = Bun.spawnSync(['movescu', '-S', '-aec', 'ORTHANC', '-aet', 'PEER', '-aem', 'PEER', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${uid}`, '127.0.0.1', String(orthanc.dicomPort)], { stderr: 'pipe' })
      if (m.exitCode !== 0) throw new Error(`movescu failed (apt-get install dcmtk): ${m.stderr.toString().slice(-500)}`)
    }
    times.push((performance.now() - t0) / 1000)
    scp.kill()
    await scp.exited
    if (countFiles(out) !== instances) throw new Error(`storescp got ${countFiles(out)} of ${instances} instances`)
    rmSync(out, { recursive: true, force: true })
  }
  rows.push({ peer: 'dcmtk movescu -> storescp', parallel: 1, studies: uids.length, instances, 'median wall s': median(times).toFixed(2), 'rounds s': times.map((t) => t.toFixed(2)).join(' '), includes: 'C-MOVE + write files' })

  // nora: the CLI pull without a server (its own SCP and runner), into a fresh project each round.
  for (const [k, home] of homes.entries()) {
    const nora = (...args: string[]) => Bun.spawnSync([NORA, ...args], { cwd: home.home, env: { ...process.env, NORA_HOME: home.home }, stdout: 'pipe', stderr: 'pipe' })
    nora('init')
    if (k === 1) writeFileSync(join(home.home, 'conf/main.conf'), (await Bun.file(join(home.home, 'conf/main.conf')).text()).replace('dicom: {', 'dicom: { aet: "NORA2",'))
    writeFileSync(join(home.home, 'conf/pacs.conf'), `{ nodes: { clinic: { aet: "ORTHANC", host: "127.0.0.1", port: ${orthanc.dicomPort} } } }`)
    const list = join(home.home, 'uids.txt')
    writeFileSync(list, uids.join('\n'))
    const t: number[] = []
    for (let r = 0; r < rounds; r++) {
      nora('--createproject', `bench${r}`)
      const t0 = performance.now()
      const p = nora('-p', `bench${r}`, 'pacs', 'pull', 'clinic', '--from-file', list)
      t.push((performance.now() - t0) / 1000)
      if (p.exitCode !== 0 || !p.stdout.toString().includes('done: 7 of 7 studies imported')) throw new Error(`nora pacs pull failed: ${p.stdout.toString().slice(-500)}${p.stderr.toString().slice(-500)}`)
    }
    rows.push({ peer: 'nora pacs pull', parallel: k + 1, studies: uids.length, instances, 'median wall s': median(t).toFixed(2), 'rounds s': t.map((x) => x.toFixed(2)).join(' '), includes: 'C-FIND + C-MOVE + spool fsync + NIfTI import' })
    home.cleanup()
  }
} finally {
  await orthanc.stop()
}
mkdirSync(join(import.meta.dir, 'results'), { recursive: true })
printTable(rows)
console.log(`\nwrote ${await writeResult('pacs-pull', { rows })}`)
