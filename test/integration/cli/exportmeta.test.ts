import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { PYDICOM, python } from '../../helpers/dicom-fixtures'
import { REPO } from '../../helpers/nora-binary'
import { cliHome, lines, ok, spawns, type CliHome } from './cli-harness'

const REFERENCE = join(import.meta.dir, 'exportmeta-reference.py')

/** Rows of a CSV text, parsed by python's csv module (not by us). */
function parseCsv(text: string): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'nora-csv-'))
  try {
    writeFileSync(join(dir, 'in.csv'), text)
    return JSON.parse(python('import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))))', [join(dir, 'in.csv')]))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The reference CSV of exportmeta-reference.py (python3's json and csv modules, pydicom for the patient info). */
function runReference(args: string[]): string {
  const r = Bun.spawnSync(['/usr/bin/python3', REFERENCE, ...args], { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`exportmeta-reference.py failed: ${r.stderr.toString().slice(-800)}`)
  return r.stdout.toString()
}

/** Cells agree when equal, or equal as numbers, or equal as parsed JSON (1.0 and 1, [1.0] and [1] are the same value). */
function sameCell(a: string, b: string): boolean {
  if (a === b) return true
  if (a !== '' && b !== '' && !Number.isNaN(Number(a)) && Number(a) === Number(b)) return true
  try {
    return /^[[{]/.test(a) && Bun.deepEquals(JSON.parse(a), JSON.parse(b))
  } catch {
    return false
  }
}

function expectSameTable(ours: string[][], reference: string[][]): void {
  expect(ours[0]).toEqual(reference[0]!) // the header exactly
  expect(ours.length).toBe(reference.length)
  ours.forEach((row, i) => {
    expect(row.length).toBe(reference[i]!.length)
    const differing = row.map((c, j) => (sameCell(c, reference[i]![j]!) ? null : `${reference[0]![j]}: ours ${JSON.stringify(c)}, python ${JSON.stringify(reference[i]![j])}`)).filter(Boolean)
    expect(differing).toEqual([])
  })
}

// The seed's OTHER section: --exportmeta against a CSV python computes from the same JSON files; and --import's DONE.
describe('nora --import --handle_job_result and --exportmeta', () => {
  let h: CliHome
  let dicoms: string
  let projectDir: string

  function put(path: string, content: unknown): string {
    const abs = join(projectDir, path)
    mkdirSync(dirname(abs), { recursive: true })
    writeFileSync(abs, typeof content === 'string' ? content : JSON.stringify(content))
    return abs
  }
  const reference = (keys: string, ...patterns: string[]) => parseCsv(runReference([projectDir, dicoms, keys, ...patterns]))
  const exportCsv = async (...args: string[]) => parseCsv(ok(await h.nora(['-p', 'XYZ', '--exportmeta', ...args])).stdout)

  beforeAll(async () => {
    h = await cliHome('sqlite')
    ok((await h.init()).result)
    ok(await h.nora(['-c', 'XYZ']))
    projectDir = join(h.dataRoot, 'projects', 'XYZ')
    dicoms = mkdtempSync(join(tmpdir(), 'nora-exportmeta-dcm-'))
    for (const f of ['CT_small.dcm', 'MR_small.dcm']) cpSync(join(PYDICOM, f), join(dicoms, f))
  }, spawns(2))
  afterAll(async () => {
    await h?.close()
    if (dicoms) rmSync(dicoms, { recursive: true, force: true })
  }, spawns(1))

  test('--import SRC --handle_job_result (no --autoexec_queue) prints DONE as its last line once the import ended', async () => {
    const r = ok(await h.nora(['-p', 'XYZ', '--import', dicoms, '--handle_job_result']))
    const out = lines(r)
    expect(out.at(-1)).toBe('DONE')
    expect(out.at(-2)).toMatch(/^import \d+ done: 2 patients, 2 studies, 2 series/)
    const without = ok(await h.nora(['-p', 'XYZ', '--import', dicoms]))
    expect(lines(without)).not.toContain('DONE')
  }, spawns(4))

  test('the JSON files of each study become one row, patient and study info first, as python computes it', async () => {
    const [ct, mr] = lines(ok(await h.nora(['-p', 'XYZ', '--filter', 'ct/* mr/*']))).sort() as [string, string]
    expect(ct.startsWith('1CT1#')).toBe(true)
    const study = (psid: string) => psid.replace('#', '/')
    const added = [
      put(`${study(ct)}/META/radio1.json`, { mask: { volume: 12.5, diameter: 3.25, labels: ['a', 'b'] }, note: 'x, "y"\nz' }),
      put(`${study(ct)}/META/radio2.json`, { mask: { volume: 7, diameter: null } }),
      put(`${study(ct)}/META/radio.v2.json`, { mask: { volume: 0.125 } }),
      put(`${study(ct)}/nodeinfo.json`, { pid: '1CT1', age: { years: 42, months: 3 }, flags: [true, false] }),
      put(`${study(mr)}/META/radio1.json`, { mask: { volume: 1e-5, diameter: 2, extra: { deep: 'ü, ß' } }, 'ünï': 'ß' }),
      put('NEW/S1/META/radio3.json', { mask: { volume: 100, diameter: 4 } }),
      put('NEW/S1/nodeinfo.json', {}),
    ]
    ok(await h.nora(['-p', 'XYZ', '--add', ...added]))

    // The seed's two examples, as the README prints them, by bash.
    const bash = async (line: string) => {
      const r = Bun.spawn(['bash', '-c', line], { cwd: h.home, env: { ...process.env, PATH: `${REPO}:${process.env.PATH}`, NORA_HOME: h.home }, stdout: 'pipe', stderr: 'pipe' })
      const [stdout, stderr, code] = await Promise.all([new Response(r.stdout).text(), new Response(r.stderr).text(), r.exited])
      if (code !== 0) throw new Error(`${line}: exit ${code}: ${stderr}`)
      return parseCsv(stdout)
    }
    const first = await bash(`nora -p XYZ --exportmeta "*" 'nodeinfo.json'`)
    expectSameTable(first, reference('-', '*', 'nodeinfo.json'))
    expect(first.length).toBe(4) // header + 3 studies
    expect(first[0]!.slice(0, 9)).toEqual(['patients_id', 'studies_id', 'PatientName', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyDescription', 'Modality', 'StudyInstanceUID'])
    expect(first[1]!.slice(0, 3)).toEqual(['1CT1', ct.split('#')[1]!, 'CompressedSamples^CT1'])
    expect(first[0]).toContain('nodeinfo.age.years')
    expect(first[0]).toContain('ct/s001.SeriesInstanceUID') // dcm2niix's sidecar

    const second = await bash(`nora -p XYZ --exportmeta "*" "META/radio*.json" --keys '*.mask.volume,*.mask.diameter'`)
    expectSameTable(second, reference('*.mask.volume,*.mask.diameter', '*', 'META/radio*.json'))
    expect(second[0]!.slice(9)).toEqual(['META/radio.v2.mask.volume', 'META/radio1.mask.volume', 'META/radio2.mask.volume', 'META/radio3.mask.volume', 'META/radio1.mask.diameter', 'META/radio2.mask.diameter', 'META/radio3.mask.diameter'])
    const ctRow = second.find((r) => r[0] === '1CT1')!
    expect(ctRow.slice(9)).toEqual(['0.125', '12.5', '7', '', '3.25', '', ''])

    // One word holding both patterns (the seed's quoting) is the same export.
    expect(await exportCsv(`* 'nodeinfo.json'`)).toEqual(first)
    // Keys by the file's own name, with dots in it, array items, wildcards in the middle.
    const keys = 'radio.v2.mask.volume,nodeinfo.age.*,radio1.mask.labels.1,META/radio1.*.extra.deep,*.ünï,nodeinfo.flags'
    expectSameTable(await exportCsv('META/*.json', 'nodeinfo.json', '--keys', keys), reference(keys, 'META/*.json', 'nodeinfo.json'))
    // Only the matching files count: the sidecars are not read for a META pattern.
    const meta = await exportCsv('META/radio1.json')
    expectSameTable(meta, reference('-', 'META/radio1.json'))
    expect(meta.length).toBe(3)
    expect(meta[0]!.some((c) => c.startsWith('ct/'))).toBe(false)
  }, spawns(10))

  test('a file that is not JSON is named and left out (exit 1); a user without read right is refused; bad keys are a usage error', async () => {
    const bad = put('NEW/S1/META/radio4.json', '{"mask": {oops')
    ok(await h.nora(['-p', 'XYZ', '--add', bad]))
    const r = await h.nora(['-p', 'XYZ', '--exportmeta', 'META/radio*.json', '--keys', '*.mask.volume'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('NEW/S1/META/radio4.json: not JSON')
    expect(parseCsv(r.stdout).find((row) => row[0] === 'NEW')!.slice(9)).toContain('100')

    ok(await h.nora(['--admin', 'adduser', 'bea']))
    const refused = await h.nora(['--user', 'bea', '-p', 'XYZ', '--exportmeta', '*'])
    expect(refused.code).toBe(3)
    expect(refused.stdout).toBe('')

    const usage = await h.nora(['-p', 'XYZ', '--exportmeta', '*', '--keys', 'volume'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('key "volume" is not FILE.KEY')
    const none = await h.nora(['-p', 'XYZ', '--exportmeta'])
    expect(none.code).toBe(2)
  }, spawns(6))
})
