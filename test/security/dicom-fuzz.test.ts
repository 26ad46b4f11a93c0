import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { sql, waitFor } from '../helpers/dcmtk'
import { zipOf } from '../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../helpers/home'
import { runNora } from '../helpers/nora-binary'
import { type CanarySnapshot, expectCanaryIntact, plantCanary } from './canary'

/**
 * The DICOM fuzz loop of issue 11: 200 instances made by pydicom (test/security/fuzz/make-cases.py, seed 11, so every
 * run sends the same bytes) with hostile values in every string and UID element, truncated files and wrong VRs,
 * sent by dcmtk's storescu (20 per association; every other association from an AE no route claims, so it goes to
 * quarantine) and imported as one zip by `nora -p P --import`. Every case must end imported (its SOP Instance UID in
 * the project's or quarantine's instances), refused with a reason (a failure status and a line in nora's log, or the
 * sender's own refusal to read a broken file), or reported and kept (a study left out is in data/spool/failed with
 * its reason in the log; in a zip, the import report names the member). The server stays up (same pid, health
 * answers) and the canary is intact.
 */

const SEED = 11
const CASES = 200
const PER_ASSOCIATION = 20
const MAKE_CASES = join(import.meta.dir, 'fuzz', 'make-cases.py')

interface Case {
  id: number
  file: string
  kind: string
  target: string
  value: string
  uids: Record<'StudyInstanceUID' | 'SeriesInstanceUID' | 'SOPInstanceUID' | 'FrameOfReferenceUID', string | null>
}

/** storescu's account of one file: the store response it got, or why it did not send or store it. */
interface Sent {
  response?: string
  errors: string[]
}

/** Splits `storescu -v` output into what happened to each file. */
function parseStorescu(out: string, into: Map<string, Sent>): void {
  let current: string | undefined
  const at = (file: string) => {
    const name = file.split('/').pop()!
    if (!into.has(name)) into.set(name, { errors: [] })
    return into.get(name)!
  }
  for (const line of out.split('\n')) {
    const sending = line.match(/^I: Sending file: (.*)$/)
    if (sending) {
      current = sending[1]!
      at(current)
      continue
    }
    const bad = line.match(/^E: Bad DICOM file: (\S+): (.*)$/)
    if (bad) {
      at(bad[1]!).errors.push(`storescu cannot read it: ${bad[2]}`)
      continue
    }
    if (!current) continue
    const response = line.match(/Received Store Response \((.*)\)$/)
    if (response) at(current).response = response[1]
    else if (/DIMSE Warning: .*C-Store RQ: (.*)$/.test(line)) at(current).errors.push(`storescu cannot send it: ${line.match(/C-Store RQ: (.*)$/)![1]}`)
    else if (line.startsWith('E: ') && !line.startsWith('E: Store Failed')) at(current).errors.push(line.slice(3))
    if (/Association (Aborted|Release)/i.test(line)) current = undefined
  }
}

/** UIDs as dcmtk sends them: spaces and NUL padding removed. */
const sentUid = (uid: string | null) => (uid ?? '').replace(/[\s\0]/g, '')

describe(`DICOM fuzz: ${CASES} pydicom-made hostile instances over C-STORE and as a zip`, () => {
  let home: TestHome
  let snap: CanarySnapshot
  let casesDir: string
  let cases: Case[]

  beforeAll(async () => {
    home = makeHome({ dicom: 'quietSeconds: 2' })
    casesDir = join(home.home, 'fuzz-cases')
    const made = Bun.spawnSync(['/usr/bin/python3', MAKE_CASES, casesDir, String(SEED), String(CASES)], { stdout: 'pipe', stderr: 'pipe' })
    if (made.exitCode !== 0) throw new Error(`make-cases.py failed (python3-pydicom installed?): ${made.stderr.toString().slice(-800)}`)
    cases = (JSON.parse(readFileSync(`${casesDir}.json`, 'utf8')) as { cases: Case[] }).cases
    expect(cases).toHaveLength(CASES)
    expect((await runNora(['init'], { home: home.home })).code).toBe(0)
    snap = await plantCanary(home)
    writeFileSync(join(home.home, 'conf', 'routes.conf'), '{ rules: [ { callingAet: "FUZZER", project: "fuzzdimse" } ] }')
    for (const p of ['fuzzdimse', 'fuzzzip']) expect((await runNora(['--createproject', p], { home: home.home })).code).toBe(0)
    const started = await runNora(['start'], { home: home.home })
    expect(started.code, started.stderr).toBe(0)
  }, 180_000)

  afterAll(async () => {
    await runNora(['stop'], { home: home.home })
    home.cleanup()
  }, 60_000)

  test('every case is imported, quarantined or refused with a reason; the server stays up; the canary is intact', async () => {
    const pid = readFileSync(join(home.home, 'data', 'nora.pid'), 'utf8').trim()
    const topLevel = () => ({ home: readdirSync(home.home).sort(), data: readdirSync(join(home.home, 'data')).sort() })
    const before = topLevel()
    const started = Date.now()

    // C-STORE, 20 cases per association.
    const sent = new Map<string, Sent>()
    for (let i = 0; i < cases.length; i += PER_ASSOCIATION) {
      const aet = (i / PER_ASSOCIATION) % 2 === 0 ? 'FUZZER' : 'STRANGER'
      const files = cases.slice(i, i + PER_ASSOCIATION).map((c) => join(casesDir, c.file))
      const p = Bun.spawn(['storescu', '-v', '-nh', '-to', '30', '-aec', 'NORA', '-aet', aet, '127.0.0.1', String(home.dicomPort), ...files], { stdout: 'pipe', stderr: 'pipe' })
      const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
      parseStorescu(out + err, sent)
    }
    const sentMs = Date.now() - started

    // The same cases as one zip through the CLI.
    const zip = zipOf(casesDir, 'fuzz-cases.zip')
    const imported = await runNora(['-p', 'fuzzzip', '--import', zip], { home: home.home, timeoutMs: 180_000 })
    rmSync(dirname(zip), { recursive: true, force: true })
    const report = `${imported.stdout}\n${imported.stderr}`
    expect(report).toMatch(/^import \d+ done/m)

    // The receiver is done once the spool holds nothing but incoming/ (empty) and failed/.
    const spool = join(home.home, 'data', 'spool')
    await waitFor(
      'the spool to drain',
      async () => (readdirSync(spool).every((f) => f === 'incoming' || f === 'failed') && readdirSync(join(spool, 'incoming')).length === 0 ? true : undefined),
      120_000,
    )
    const elapsedMs = Date.now() - started

    const rows = await sql<{ project: string; sop: string }>(home, 'SELECT p.name AS project, di.sop_uid AS sop FROM dicom_instances di JOIN dicom_series ds ON ds.id = di.series_id JOIN projects p ON p.id = ds.project_id')
    const inProject = new Map<string, Set<string>>()
    for (const r of rows) {
      if (!inProject.has(r.project)) inProject.set(r.project, new Set())
      inProject.get(r.project)!.add(r.sop)
    }
    const has = (project: string, sop: string | null) => inProject.get(project)?.has(sentUid(sop)) ?? false
    const log = readFileSync(join(home.home, 'data', 'logs', 'nora.log'), 'utf8')
    const failed = existsSync(join(spool, 'failed')) ? readdirSync(join(spool, 'failed')) : []

    const outcomes: Record<string, number> = {}
    const lost: string[] = []
    let refusedByNora = 0
    for (const c of cases) {
      const label = `${c.file} (${c.kind}: ${c.target} = ${JSON.stringify(c.value).slice(0, 40)})`
      // C-STORE
      const s = sent.get(c.file)
      let dimse: string | undefined
      if (!s) dimse = undefined
      else if (s.response === 'Success') {
        const study = sentUid(c.uids.StudyInstanceUID)
        if (has('fuzzdimse', c.uids.SOPInstanceUID)) dimse = 'imported'
        else if (has('quarantine', c.uids.SOPInstanceUID)) dimse = 'quarantined'
        else if (study && log.includes(study) && failed.some((f) => f.startsWith(study))) dimse = 'kept in spool/failed, reason logged'
      } else if (s.response) {
        dimse = `refused (${s.response})`
        refusedByNora++
      } else if (s.errors.some((e) => e.startsWith('storescu cannot read it'))) dimse = 'not sent: storescu cannot read it'
      else if (s.errors.some((e) => e.startsWith('storescu cannot send it'))) dimse = 'not sent: storescu cannot build its request'
      else if (s.errors.length) {
        dimse = `refused (${s.errors.at(-1)!.slice(0, 60)})`
        refusedByNora++
      }
      if (!dimse) lost.push(`C-STORE ${label}: no outcome (${JSON.stringify(s)})`)
      else outcomes[`C-STORE ${dimse}`] = (outcomes[`C-STORE ${dimse}`] ?? 0) + 1
      // zip
      let zipped: string | undefined
      if (has('fuzzzip', c.uids.SOPInstanceUID)) zipped = 'imported'
      else {
        const line = report.split('\n').find((l) => l.includes(`${c.file}:`))
        if (line) zipped = line.startsWith('skipped') ? 'skipped with a reason' : 'refused with a reason'
      }
      if (!zipped) lost.push(`zip ${label}: neither imported nor named in the import report`)
      else outcomes[`zip ${zipped}`] = (outcomes[`zip ${zipped}`] ?? 0) + 1
    }
    console.info(`fuzz (seed ${SEED}): C-STORE ${(sentMs / 1000).toFixed(1)} s, all done after ${(elapsedMs / 1000).toFixed(1)} s`)
    for (const [k, n] of Object.entries(outcomes).sort()) console.info(`  ${String(n).padStart(3)} ${k}`)
    expect(lost).toEqual([])
    // Each instance nora refused over C-STORE has its line in the log.
    expect((log.match(/(refused|rejected) an instance from/g) ?? []).length).toBeGreaterThanOrEqual(refusedByNora)
    // Imported and refused cases both occur: the loop exercises both sides.
    expect(outcomes['C-STORE imported'] ?? 0).toBeGreaterThan(0)
    expect(outcomes['C-STORE quarantined'] ?? 0).toBeGreaterThan(0)
    expect(refusedByNora).toBeGreaterThan(0)
    expect(elapsedMs).toBeLessThan(180_000)

    // Nothing was written beside the data folders: NORA_HOME and data/ hold the same entries, data/projects only the
    // four projects.
    const after = topLevel()
    expect(after.home).toEqual(before.home)
    expect(after.data).toEqual(before.data)
    expect(readdirSync(join(home.home, 'data', 'projects')).sort()).toEqual(['canary', 'fuzzdimse', 'fuzzzip', 'quarantine'])

    // Still the same server, answering.
    expect(readFileSync(join(home.home, 'data', 'nora.pid'), 'utf8').trim()).toBe(pid)
    expect(existsSync(`/proc/${pid}`)).toBe(true)
    const echo = Bun.spawnSync(['echoscu', '-aec', 'NORA', '127.0.0.1', String(home.dicomPort)])
    expect(echo.exitCode).toBe(0)
    await expectCanaryIntact(home, snap)
  }, 300_000)
})
