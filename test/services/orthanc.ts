import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../helpers/home'

export { DICOMDIRTESTS } from '../helpers/dicom-fixtures'

export interface Orthanc {
  aet: string
  dicomPort: number
  httpPort: number
  url: string
  dir: string
  pid: number
  /** storescu's whole tree into it as calling AE `callingAet` (must be a known modality). */
  load(dir: string, callingAet?: string): void
  stop(): Promise<void>
}

const ORTHANC = process.env.NORA_TEST_ORTHANC ?? '/usr/sbin/Orthanc'

/**
 * A private Orthanc (the clinic's PACS) in a temp dir on loopback, free ports, stopped by its pid. It answers only
 * the AEs in `modalities` (name -> [aet, host, port]). It never skips: when Orthanc is not installed or does not
 * come up, this throws and the test fails, saying how to fix it.
 */
export async function startOrthanc(modalities: Record<string, [string, string, number]>, aet = 'ORTHANC'): Promise<Orthanc> {
  if (!existsSync(ORTHANC)) throw new Error(`Orthanc is not installed at ${ORTHANC} (apt-get install orthanc; test/run.sh does)`)
  const dir = mkdtempSync(join(tmpdir(), 'nora-orthanc-'))
  const dicomPort = freePort()
  const httpPort = freePort()
  writeFileSync(
    join(dir, 'orthanc.json'),
    JSON.stringify({
      Name: 'pacs',
      StorageDirectory: join(dir, 'db'),
      IndexDirectory: join(dir, 'db'),
      HttpPort: httpPort,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      DicomServerEnabled: true,
      DicomAet: aet,
      DicomPort: dicomPort,
      DicomCheckCalledAet: false,
      DicomModalities: modalities,
      Plugins: [],
    }),
  )
  const log = join(dir, 'orthanc.log')
  const proc = Bun.spawn([ORTHANC, join(dir, 'orthanc.json')], { stdout: Bun.file(log), stderr: Bun.file(log), cwd: dir })
  const url = `http://127.0.0.1:${httpPort}/`
  const stop = async () => {
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    await proc.exited
    clearTimeout(timer)
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      if ((await fetch(`${url}system`)).ok) break
    } catch {}
    if (proc.exitCode !== null || Date.now() > deadline) {
      const why = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''
      await stop()
      throw new Error(`Orthanc did not start on 127.0.0.1:${httpPort}/${dicomPort}:\n${why}`)
    }
    await Bun.sleep(100)
  }
  return {
    aet,
    dicomPort,
    httpPort,
    url,
    dir,
    pid: proc.pid,
    load(tree: string, callingAet = Object.values(modalities)[0]?.[0] ?? 'NORA') {
      const r = Bun.spawnSync(['storescu', '-nh', '-aec', aet, '-aet', callingAet, '+sd', '+r', '127.0.0.1', String(dicomPort), tree], { stdout: 'pipe', stderr: 'pipe', timeout: 120_000 })
      if (r.exitCode !== 0) throw new Error(`storescu into Orthanc failed (apt-get install dcmtk?): ${r.stderr.toString().slice(-1000)}`)
    },
    stop,
  }
}
