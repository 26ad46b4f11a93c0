import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { dcmtk, sql, waitFor } from '../helpers/dcmtk'
import { PYDICOM, python } from '../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../helpers/home'
import { runNora } from '../helpers/nora-binary'
import { type CanarySnapshot, expectCanaryIntact, plantCanary } from './canary'

/**
 * Item 1 of issue 11 (a DICOM UID deletes the archive), against the built ./nora on a real port with dcmtk's storescu
 * as the sender, and with `nora --import` of a zip and a folder. Every instance is pydicom's CT_small.dcm with fresh
 * UIDs and one hostile element, written by pydicom (not by nora). Instances whose Study/Series/SOP Instance UID is not
 * a UID are refused (a failure status on C-STORE, a reported error on import); a PatientID that reads as a path is
 * reported for its study; a hostile ProtocolName becomes a safe folder name inside the project; zip members that climb
 * out are reported and skipped. Nothing is written outside the project, and the canary study stays byte-identical.
 */

const SENDER = 'HOSTILE'

interface Case {
  name: string
  /** Elements set by pydicom (keyword -> value). */
  set: Record<string, string>
  /** What the server must log / report about it. */
  reason: string
}

/** Refused: the UID is not a UID. */
const BAD_UIDS: Case[] = [
  { name: 'study-dotdot', set: { StudyInstanceUID: '..' }, reason: 'StudyInstanceUID ".." is not digits separated by single dots' },
  { name: 'study-dot', set: { StudyInstanceUID: '.' }, reason: 'StudyInstanceUID "." is not digits separated by single dots' },
  { name: 'study-etc', set: { StudyInstanceUID: '../../etc' }, reason: 'StudyInstanceUID "../../etc" is not digits separated by single dots' },
  { name: 'study-empty', set: { StudyInstanceUID: '' }, reason: 'no StudyInstanceUID (empty or absent)' },
  { name: 'study-65', set: { StudyInstanceUID: `1.${'2'.repeat(63)}` }, reason: 'is 65 characters long (at most 64)' },
  { name: 'study-slash', set: { StudyInstanceUID: '1.2/3' }, reason: 'StudyInstanceUID "1.2/3" is not digits separated by single dots' },
  { name: 'series-dotdot', set: { SeriesInstanceUID: '..' }, reason: 'SeriesInstanceUID ".." is not digits separated by single dots' },
  { name: 'sop-dotdot', set: { SOPInstanceUID: '..' }, reason: 'SOPInstanceUID ".." is not digits separated by single dots' },
]

/** Good UIDs, hostile ids: the PatientIDs are reported for their study, the ProtocolName is made a safe name. */
const PID_CASES: Case[] = [
  { name: 'pid-dotdot', set: { PatientID: '..' }, reason: 'PatientID ".." is "..": it cannot be a folder name' },
  { name: 'pid-dotdot-x', set: { PatientID: '../x' }, reason: 'PatientID "../x" contains the path step "..": it cannot be a folder name' },
]
const PROTOCOL: Case = { name: 'protocol', set: { PatientID: 'PROTO', ProtocolName: '../../../x' }, reason: '' }
const GOOD: Case = { name: 'good', set: { PatientID: 'GOOD' }, reason: '' }
const ALL = [...BAD_UIDS, ...PID_CASES, PROTOCOL, GOOD]

/** Writes one instance per case into `dir` as <name>.dcm, by pydicom from CT_small.dcm with fresh UIDs. */
function writeCases(dir: string, cases: Case[]): void {
  python(
    `
import sys, json, warnings
import pydicom
from pydicom.uid import generate_uid
warnings.simplefilter('ignore')  # pydicom warns about the invalid UIDs we write on purpose
src, out, cases = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
for c in cases:
    d = pydicom.dcmread(src)
    d.StudyInstanceUID, d.SeriesInstanceUID, d.SOPInstanceUID = generate_uid(), generate_uid(), generate_uid()
    d.PatientID = 'P-' + c['name']
    for k, v in c['set'].items():
        setattr(d, k, v)
    d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID
    d.save_as(out + '/' + c['name'] + '.dcm')`,
    [join(PYDICOM, 'CT_small.dcm'), dir, JSON.stringify(cases)],
  )
}

/** A zip by Python's zipfile of [member name, file] pairs. */
function zipMembers(out: string, members: [string, string][]): string {
  python(
    `
import sys, json, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for name, path in json.loads(sys.argv[2]):
        z.writestr(name, open(path, 'rb').read())`,
    [out, JSON.stringify(members)],
  )
  return out
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string, root = dir, out: string[] = []): string[] {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) filesUnder(p, root, out)
    else out.push(relative(root, p))
  }
  return out
}

/** Where a path-climbing value would have written: none of these may appear. */
const escapes = (home: string) => ['x', 'etc', 'evil.dcm', 'data/x', 'data/etc', 'data/evil.dcm', 'data/projects/x', 'data/spool/x', 'data/imports/evil.dcm'].map((p) => join(home, p))

/** dcmtk and Debian's python3-pydicom play the sender; outside CI a machine without them skips this suite (under CI it fails). */
const tools = Bun.which('storescu') !== null && existsSync(join(PYDICOM, 'CT_small.dcm'))

describe.skipIf(!tools && process.env.CI !== 'true')('DICOM values never become paths (issue 11, item 1)', () => {
  let home: TestHome
  let snap: CanarySnapshot
  let inputs: string
  let before: Set<string>
  const log = () => readFileSync(join(home.home, 'data/logs/nora.log'), 'utf8')
  const casesDir = () => join(inputs, 'cases')
  const file = (c: Case) => join(casesDir(), `${c.name}.dcm`)
  /** Files of a project as patients_id/studies_id/path, from the database. */
  const filesOf = async (project: string) =>
    (
      await sql<{ rel: string }>(
        home,
        `SELECT p.patients_id || '/' || s.studies_id || '/' || f.path AS rel FROM files f JOIN studies s ON s.id = f.study_id JOIN subjects p ON p.id = s.subject_id JOIN projects pr ON pr.id = f.project_id WHERE pr.name = '${project}' ORDER BY rel`,
      )
    ).map((r) => r.rel)
  const subjectsOf = async (project: string) =>
    (await sql<{ pid: string }>(home, `SELECT s.patients_id AS pid FROM subjects s JOIN projects p ON p.id = s.project_id WHERE p.name = '${project}' ORDER BY pid`)).map((r) => r.pid)

  beforeAll(async () => {
    home = makeHome({ dicom: 'quietSeconds: 2' })
    inputs = mkdtempSync(join(tmpdir(), 'nora-hostile-'))
    mkdirSync(casesDir())
    writeCases(casesDir(), ALL)
    expect((await runNora(['init'], { home: home.home })).code).toBe(0)
    // The default pacs.conf: any calling AE may send (the setting). HOSTILE's studies go to "hostile".
    writeFileSync(join(home.home, 'conf/routes.conf'), `{ rules: [ { callingAet: "${SENDER}", project: "hostile" } ] }`)
    snap = await plantCanary(home)
    for (const p of ['hostile', 'zipped', 'folder', 'zipslip']) expect((await runNora(['--createproject', p], { home: home.home })).code).toBe(0)
    expect((await runNora(['start'], { home: home.home })).code).toBe(0)
    before = new Set(filesUnder(home.home))
  }, 180_000)

  afterAll(async () => {
    await runNora(['stop'], { home: home.home })
    rmSync(inputs, { recursive: true, force: true })
    home.cleanup()
  })

  test('C-STORE of an instance whose Study/Series/SOP Instance UID is not a UID: a failure status, the reason logged, nothing kept', async () => {
    for (const c of BAD_UIDS) {
      const sent = dcmtk('storescu', ['-v', '-aec', 'NORA', '-aet', SENDER, '127.0.0.1', String(home.dicomPort), file(c)])
      // storescu exits with the failure status's high byte: 0xA9 (Data Set does not match SOP Class), 0xC0 (Cannot understand)
      expect({ case: c.name, code: sent.code }).not.toEqual({ case: c.name, code: 0 })
      expect(sent.out).toMatch(/Received Store Response \((Error|Failure)/)
      expect(sent.out).not.toContain('Received Store Response (Success)')
      await waitFor(`the log to name why ${c.name} was refused`, async () => (log().includes(c.reason) ? true : undefined), 20_000)
      const refused = log().split('\n').filter((l) => l.includes(c.reason))
      expect(refused.some((l) => l.includes(SENDER))).toBe(true)
      const health = await fetch(`${home.url}api/health`)
      expect(health.status).toBe(200)
      expect(existsSync(join(home.home, 'data'))).toBe(true)
    }
    expect(log()).toMatch(/status 0xa900: StudyInstanceUID "\.\."/)
    // nothing of them was kept: the spool holds no study folder, nothing was imported into the sender's project
    expect(readdirSync(join(home.home, 'data/spool')).filter((n) => n !== 'incoming')).toEqual([])
    expect(await filesOf('hostile')).toEqual([])
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('C-STORE with a hostile ProtocolName or PatientID: the series lands inside the project; a PatientID that is a path is reported, never a folder', async () => {
    for (const c of [...PID_CASES, PROTOCOL, GOOD]) {
      const sent = dcmtk('storescu', ['-v', '-aec', 'NORA', '-aet', SENDER, '127.0.0.1', String(home.dicomPort), file(c)])
      expect({ case: c.name, code: sent.code }).toEqual({ case: c.name, code: 0 })
      expect(sent.out).toContain('Received Store Response (Success)')
    }
    const files = await waitFor('PROTO and GOOD to be imported', async () => {
      const got = await filesOf('hostile')
      return got.some((f) => f.startsWith('PROTO/')) && got.some((f) => f.startsWith('GOOD/')) ? got : undefined
    })
    // ProtocolName "../../../x" is the folder "x" inside the study; the NIfTI is on disk where the row says
    const proto = files.filter((f) => f.startsWith('PROTO/') && /\.nii(\.gz)?$/.test(f))
    expect(proto.length).toBe(1)
    expect(proto[0]).toMatch(/^PROTO\/[^/]+\/x\/s\d+\.nii(\.gz)?$/)
    expect(existsSync(join(home.home, 'data/projects/hostile', proto[0]!))).toBe(true)
    // The PatientIDs are reported (in the log and the import report) and the studies are kept in the spool, then
    // in spool/failed for an admin: no subject "..", "../x", "x" or "UNKNOWN" was made
    for (const c of PID_CASES) {
      await waitFor(`the log to report ${c.name}`, async () => (log().includes(c.reason) ? true : undefined), 60_000)
      const reported = await sql<{ n: number }>(home, `SELECT COUNT(*) AS n FROM import_problems WHERE message LIKE '%${c.reason.replace(/'/g, "''")}%'`)
      expect(reported[0]!.n).toBeGreaterThan(0)
    }
    await waitFor('both refused studies to be kept in spool/failed', async () => {
      const failed = join(home.home, 'data/spool/failed')
      return existsSync(failed) && readdirSync(failed).filter((n) => !n.endsWith('.json')).length === 2 ? true : undefined
    }, 90_000)
    expect(await subjectsOf('hostile')).toEqual(['GOOD', 'PROTO'])
    await expectCanaryIntact(home, snap)
  }, 180_000)

  test('the same instances as a zip (nora -p P --import ZIP): the good ones import, each bad one is reported with its reason', async () => {
    const zip = zipMembers(
      join(inputs, 'hostile.zip'),
      ALL.map((c) => [`in/${c.name}.dcm`, file(c)]),
    )
    const r = await runNora(['-p', 'zipped', '--import', zip], { home: home.home, timeoutMs: 120_000 })
    const report = r.stdout + r.stderr
    for (const c of [...BAD_UIDS, ...PID_CASES]) {
      const line = report.split('\n').find((l) => l.includes(`in/${c.name}.dcm`))
      expect({ case: c.name, line: line?.includes(c.reason) }).toEqual({ case: c.name, line: true })
    }
    expect(await subjectsOf('zipped')).toEqual(['GOOD', 'PROTO'])
    expect((await filesOf('zipped')).filter((f) => f.startsWith('PROTO/') && /\/x\/s\d+\.nii/.test(f)).length).toBe(1)
    await expectCanaryIntact(home, snap)
  }, 180_000)

  test('the same instances as a folder (nora -p P --import DIR): the good ones import, each bad one is reported', async () => {
    const r = await runNora(['-p', 'folder', '--import', casesDir()], { home: home.home, timeoutMs: 120_000 })
    const report = r.stdout + r.stderr
    for (const c of [...BAD_UIDS, ...PID_CASES]) {
      const line = report.split('\n').find((l) => l.includes(`${c.name}.dcm`))
      expect({ case: c.name, line: line?.includes(c.reason) }).toEqual({ case: c.name, line: true })
    }
    expect(await subjectsOf('folder')).toEqual(['GOOD', 'PROTO'])
    await expectCanaryIntact(home, snap)
  }, 180_000)

  test('a zip whose members are "../evil.dcm" and "a/../../evil.dcm": both reported and skipped, the rest imports', async () => {
    const zip = zipMembers(join(inputs, 'slip.zip'), [
      ['../evil.dcm', file(GOOD)],
      ['a/../../evil.dcm', file(PROTOCOL)],
      ['ok/good.dcm', file(GOOD)],
    ])
    const r = await runNora(['-p', 'zipslip', '--import', zip], { home: home.home, timeoutMs: 120_000 })
    const report = r.stdout + r.stderr
    for (const name of ['../evil.dcm', 'a/../../evil.dcm']) expect(report.split('\n').find((l) => l.includes(`${name}:`))).toContain('climbs out with ".."')
    expect(await subjectsOf('zipslip')).toEqual(['GOOD'])
    for (const p of [...escapes(home.home), join(dirname(zip), 'evil.dcm'), join(dirname(home.home), 'evil.dcm')]) expect({ p, exists: existsSync(p) }).toEqual({ p, exists: false })
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('nothing was written outside the projects it was sent to (and the spool, logs and database)', async () => {
    const added = filesUnder(home.home).filter((f) => !before.has(f))
    const allowed = /^data\/(projects\/(hostile|zipped|folder|zipslip)\/|spool\/failed\/|logs\/)|^data\/[^/]+\.(db|sqlite)(-wal|-shm|-journal)?$/
    expect(added.filter((f) => !allowed.test(f))).toEqual([])
    for (const p of escapes(home.home)) expect({ p, exists: existsSync(p) }).toEqual({ p, exists: false })
    await expectCanaryIntact(home, snap)
  })
})
