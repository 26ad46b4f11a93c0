import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openServices, type Services } from '../../../src/app'
import { parseArgs, type ParsedArgs } from '../../../src/cli/args'
import { pacsCommand } from '../../../src/cli/commands/pacs'
import type { Out } from '../../../src/cli/context'
import { loadConfig } from '../../../src/config/load-config'
import { PacsService } from '../../../src/pacs/pacs-service'
import { freePort, makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'
import { DICOMDIRTESTS, startOrthanc, type Orthanc } from '../../services/orthanc'

/** dcmtk's findscu is the oracle: what it gets from Orthanc, we must get too. Fails (never skips) without dcmtk. */
function findscu(port: number, keys: string[]): Record<string, string>[] {
  const r = Bun.spawnSync(['findscu', '-S', '-aec', 'ORTHANC', '-aet', 'NORA', ...keys.flatMap((k) => ['-k', k]), '127.0.0.1', String(port)], { stdout: 'pipe', stderr: 'pipe', timeout: 30_000 })
  if (r.exitCode !== 0) throw new Error(`findscu failed (apt-get install dcmtk): ${r.stderr.toString().slice(-500)}`)
  const rows: Record<string, string>[] = []
  let row: Record<string, string> | undefined
  for (const line of (r.stdout.toString() + r.stderr.toString()).split('\n')) {
    if (/Find Response: \d+ \(Pending\)/.test(line)) rows.push((row = {}))
    const m = /^I: \([0-9a-f]{4},[0-9a-f]{4}\) [A-Z]{2} \[([^\]]*)\]\s+#\s+\d+,\s+\d+\s+(\w+)/.exec(line)
    if (m && row) row[m[2]!] = m[1]!.replace(/[\s\0]+$/, "")
  }
  return rows
}

/** Runs `nora pacs ...` in this process (the same function the CLI dispatches to) and captures its output. */
async function cli(s: Services, argv: string[], extra: Record<string, string[]> = {}): Promise<{ code: number; out: string[] }> {
  const out: string[] = []
  const io: Out = { out: async (l) => void out.push(l), err: async (l) => void out.push(l), tty: false }
  const args: ParsedArgs = parseArgs(argv)
  for (const [k, v] of Object.entries(extra)) args.options.set(k, v)
  return { code: await pacsCommand(s, args, io), out }
}

describe('PACS querier against a real Orthanc', () => {
  let orthanc: Orthanc
  let home: TestHome
  let s: Services
  let pacs: PacsService
  const downPort = freePort()

  beforeAll(async () => {
    orthanc = await startOrthanc({ nora: ['NORA', '127.0.0.1', 11112] })
    orthanc.load(DICOMDIRTESTS)
    home = makeHome()
    await runNora(['init'], { home: home.home })
    writeFileSync(
      join(home.home, 'conf/pacs.conf'),
      `{ nodes: { clinic: { aet: "ORTHANC", host: "127.0.0.1", port: ${orthanc.dicomPort} }, down: { aet: "DOWN", host: "127.0.0.1", port: ${downPort} } } }`,
    )
    s = await openServices(loadConfig(home.home, {}))
    pacs = new PacsService(s.config, { timeoutMs: 10_000 })
  }, 120_000)
  afterAll(async () => {
    await s?.close()
    await orthanc?.stop()
    home?.cleanup()
  }, 30_000)

  test('C-ECHO to the configured PACS succeeds, as nora AE NORA', async () => {
    expect(pacs.callingAet).toBe('NORA')
    expect(await pacs.echo('clinic')).toBeGreaterThan(0)
    const r = await cli(s, ['pacs', 'echo', 'clinic'])
    expect(r.code).toBe(0)
    expect(r.out.join('\n')).toMatch(new RegExp(`^clinic \\(ORTHANC at 127\\.0\\.0\\.1:${orthanc.dicomPort}\\): C-ECHO OK in \\d+ ms$`))
  }, 60_000)

  test('a node that is down fails with its name and address; an unknown name lists the configured ones', async () => {
    const t0 = Date.now()
    await expect(pacs.echo('down')).rejects.toThrow(`PACS "down" (DOWN) at 127.0.0.1:${downPort} did not answer: connect ECONNREFUSED`)
    expect(Date.now() - t0).toBeLessThan(5000)
    await expect(pacs.echo('nowhere')).rejects.toThrow('no PACS node "nowhere" in conf/pacs.conf; configured: clinic, down')
    const all = await cli(s, ['pacs', 'echo'])
    expect(all.code).toBe(4)
    expect(all.out[0]).toStartWith('clinic (ORTHANC at')
    expect(all.out[1]).toStartWith(`down: FAILED PACS "down" (DOWN) at 127.0.0.1:${downPort} did not answer`)
  }, 60_000)

  test('a PACS that does not know our AE refuses the query, and the message says so', async () => {
    const stranger = new PacsService({ pacs: s.config.pacs, main: { dicom: { aet: 'STRANGER' } } })
    await expect(stranger.find('clinic', 'STUDY', {})).rejects.toThrow(/PACS "clinic" \(ORTHANC\) at 127\.0\.0\.1:\d+ (refused the association|answered with a failure)/)
  })

  test('study level finds the 7 studies of dicomdirtests, with what findscu sees', async () => {
    const studies = await pacs.find('clinic', 'STUDY', {})
    const oracle = findscu(orthanc.dicomPort, ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID=', 'PatientID=', 'StudyDate=', 'AccessionNumber=', 'NumberOfStudyRelatedInstances='])
    expect(studies).toHaveLength(7)
    expect(oracle).toHaveLength(7)
    const pick = (r: Record<string, string>) => [r.StudyInstanceUID, r.PatientID, r.StudyDate, r.AccessionNumber, r.NumberOfStudyRelatedInstances].join('|')
    expect(studies.map(pick).sort()).toEqual(oracle.map(pick).sort())
    expect(studies.reduce((n, r) => n + Number(r.NumberOfStudyRelatedInstances), 0)).toBeGreaterThan(40)
    const table = await cli(s, ['pacs', 'find', 'clinic'], { level: ['study'] })
    expect(table.code).toBe(0)
    expect(table.out[0]).toMatch(/^PatientName\s+PatientID\s+StudyDate\s+Modalities\s+StudyDescription\s+AccessionNumber\s+Instances\s+StudyInstanceUID$/)
    expect(table.out).toHaveLength(9)
    expect(table.out.at(-1)).toBe('7 studies on clinic')
  }, 60_000)

  test('patient level lists the 3 patients; series level lists 14 series over the 7 studies', async () => {
    const patients = await pacs.find('clinic', 'PATIENT', {})
    expect(patients.map((p) => `${p.PatientID} ${p.PatientName}`).sort()).toEqual(['12345678 Citizen^Jan', '77654033 Doe^Archibald', '98890234 Doe^Peter'])
    const studies = await pacs.find('clinic', 'STUDY', {})
    let series = 0
    for (const st of studies) {
      const rows = await pacs.find('clinic', 'SERIES', { StudyInstanceUID: st.StudyInstanceUID! })
      const oracle = findscu(orthanc.dicomPort, ['QueryRetrieveLevel=SERIES', `StudyInstanceUID=${st.StudyInstanceUID}`, 'SeriesInstanceUID=', 'Modality=', 'NumberOfSeriesRelatedInstances='])
      const pick = (r: Record<string, string>) => [r.SeriesInstanceUID, r.Modality, r.NumberOfSeriesRelatedInstances].join('|')
      expect(rows.map(pick).sort()).toEqual(oracle.map(pick).sort())
      expect(rows.every((r) => r.StudyInstanceUID === st.StudyInstanceUID)).toBe(true)
      series += rows.length
    }
    expect(series).toBe(14)
    const json = await cli(s, ['pacs', 'find', 'clinic', '--json'], { level: ['series'], key: [`StudyInstanceUID=${studies[0]!.StudyInstanceUID}`] })
    expect(JSON.parse(json.out[0]!).length).toBe(Number(studies[0]!.NumberOfStudyRelatedSeries))
  }, 60_000)

  test('a PatientID key narrows the studies, and dates typed as years become DICOM ranges', async () => {
    const doe = await pacs.find('clinic', 'STUDY', { PatientID: '98890234' })
    expect(doe).toHaveLength(4)
    expect(new Set(doe.map((r) => r.PatientName))).toEqual(new Set(['Doe^Peter']))
    const r = await cli(s, ['pacs', 'find', 'clinic', 'study', 'PatientID=98890234', '--json'])
    expect(JSON.parse(r.out[0]!).map((x: { StudyInstanceUID: string }) => x.StudyInstanceUID).sort()).toEqual(doe.map((x) => x.StudyInstanceUID).sort())
    const all = await pacs.find('clinic', 'STUDY', {})
    const years = all.map((x) => x.StudyDate!.slice(0, 4)).sort()
    const y = years[0]!
    const inYear = await cli(s, ['pacs', 'find', 'clinic', '--json'], { key: [`StudyDate=${y}-${y}`] })
    expect(JSON.parse(inYear.out[0]!)).toHaveLength(years.filter((x) => x === y).length)
    expect(years.filter((x) => x !== y).length).toBeGreaterThan(0) // the range must exclude something to mean anything
    const none = await pacs.find('clinic', 'STUDY', { PatientID: 'NOBODY' })
    expect(none).toEqual([])
  }, 60_000)

  test('bad keys and levels are usage errors before anything is sent', async () => {
    await expect(cli(s, ['pacs', 'find', 'clinic'], { key: ['PatientId=1'] })).rejects.toThrow('"PatientId" is not a DICOM keyword')
    await expect(cli(s, ['pacs', 'find', 'clinic'], { level: ['image'] })).rejects.toThrow('--level image: use patient, study or series')
    await expect(cli(s, ['pacs', 'find', 'clinic'], { level: ['series'] })).rejects.toThrow('a series query needs -k StudyInstanceUID=UID')
  }, 60_000)
})
