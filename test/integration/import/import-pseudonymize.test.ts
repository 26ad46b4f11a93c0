import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { DICOMDIRTESTS, python, zipOf } from '../../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'

/** Every patient ID and name in the source, read by pydicom (not by nora). */
function originalIdentities(): { ids: string[]; names: string[] } {
  const out = python(`
import pydicom, pathlib, json
ids, names = set(), set()
for p in pathlib.Path('${DICOMDIRTESTS}').rglob('*'):
    if p.is_file() and 'DICOMDIR' not in p.name and 'README' not in p.name:
        d = pydicom.dcmread(str(p), stop_before_pixels=True, force=True)
        if d.get('PatientID'): ids.add(str(d.PatientID))
        if d.get('PatientName'): names.add(str(d.PatientName))
print(json.dumps({'ids': sorted(ids), 'names': sorted(names)}))`)
  return JSON.parse(out)
}

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) yield* walk(p)
    else yield p
  }
}

/** The bytes to search in a file: a .tar.gz is unpacked, so the kept DICOM inside is searched too. */
function contentOf(path: string): Buffer {
  const raw = readFileSync(path)
  return path.endsWith('.tar.gz') ? gunzipSync(raw) : raw
}

describe('a pseudonymised project keeps no original name or ID anywhere', () => {
  let home: TestHome
  let forbidden: string[]
  let result: Awaited<ReturnType<typeof runNora>>

  beforeAll(async () => {
    home = makeHome()
    const { ids, names } = originalIdentities()
    // Full names, each name part, and every patient ID (the names are Doe^Peter, Doe^Archibald, Citizen^Jan).
    forbidden = [...new Set([...ids, ...names, ...names.flatMap((n) => n.split('^'))])].filter((s) => s.length >= 3)
    expect(forbidden.length).toBeGreaterThanOrEqual(7)
    await runNora(['init'], { home: home.home })
    expect((await runNora(['--createproject', 'anon', '--policy', 'pseudonymize'], { home: home.home })).code).toBe(0)
    result = await runNora(['-p', 'anon', '--import', zipOf(DICOMDIRTESTS)], { home: home.home, timeoutMs: 120_000 })
  }, 180_000)
  afterAll(() => home.cleanup())

  test('the import still sorts 3 subjects, 7 studies and 14 series', () => {
    expect(result.stdout).toContain('3 patients, 7 studies, 14 series')
  })

  test('no file, path, sidecar or kept DICOM in the data root holds an original name or ID', () => {
    const data = join(home.home, 'data')
    let files = 0
    for (const path of walk(data)) {
      if (/nora\.db(-wal|-shm)?$/.test(path) || path.includes('/keys/')) continue
      files++
      const rel = path.slice(data.length)
      const text = contentOf(path).toString('latin1')
      for (const f of forbidden) {
        expect(rel.includes(f), `${rel}: path holds "${f}"`).toBe(false)
        expect(text.includes(f), `${rel}: content holds "${f}"`).toBe(false)
      }
    }
    expect(files).toBeGreaterThan(40) // NIfTIs, sidecars, DICOM bundles
  })

  test('no database row holds one (every table, and the raw database file)', async () => {
    // Every table, read directly (read-only) rather than one `nora --sql` process per table.
    const db = new Database(join(home.home, 'data/nora.db'), { readonly: true })
    try {
      const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all()
      expect(tables.length).toBeGreaterThan(10)
      for (const { name } of tables) {
        const rows = JSON.stringify(db.query(`SELECT * FROM "${name}"`).all())
        for (const f of forbidden) expect(rows.includes(f), `table ${name} holds "${f}"`).toBe(false)
      }
    } finally {
      db.close()
    }
    await runNora(['--sql', 'PRAGMA wal_checkpoint(TRUNCATE)', '--write'], { home: home.home })
    const raw = readFileSync(join(home.home, 'data/nora.db')).toString('latin1')
    for (const f of forbidden) expect(raw.includes(f), `nora.db holds "${f}"`).toBe(false)
  }, 60_000)

  test('birth dates are removed (DICOM PS3.15 Basic Profile: Z) and subjects carry pseudonyms', async () => {
    const subjects = JSON.parse((await runNora(['--sql', 'SELECT patients_id, name, birth_date FROM subjects'], { home: home.home })).stdout) as Record<string, string>[]
    expect(subjects.length).toBe(3)
    for (const s of subjects) {
      expect(s.patients_id).toMatch(/^P[A-Z2-9]{10}$/)
      expect(s.name).toBe(s.patients_id)
      expect(s.birth_date).toBe('')
    }
  }, 60_000)

  test('the mapping is readable by a project admin only, and stable across imports', async () => {
    const mapping = JSON.parse((await runNora(['-p', 'anon', '--pseudonyms'], { home: home.home })).stdout) as { pseudonym: string; patientId: string }[]
    expect(mapping.map((m) => m.patientId).sort()).toEqual(originalIdentities().ids)
    await runNora(['--admin', 'adduser', 'writer', '--password', 'writer-pass-1'], { home: home.home })
    await runNora(['--admin', 'grant', 'writer', 'anon', 'write'], { home: home.home })
    const refused = await runNora(['-p', 'anon', '--pseudonyms'], { home: home.home, env: { NORA_USER: 'writer' } })
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('may not admin project "anon"')
    const again = await runNora(['-p', 'anon', '--import', DICOMDIRTESTS], { home: home.home, timeoutMs: 120_000 })
    expect(again.stdout).toContain('(14 unchanged)') // same patients, same pseudonyms, same studies
    expect(statSync(join(home.home, 'data/keys/site.key')).mode & 0o077).toBe(0)
  }, 60_000)
})
