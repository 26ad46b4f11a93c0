import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeHome, type TestHome } from '../../helpers/home'
import { NORA, ensureBinary, runNora } from '../../helpers/nora-binary'
import { python } from '../../helpers/dicom-fixtures'

const SERIES = 30
const SLICES = 20

/** The series the database shows; waits out a busy database (nora opening it, or recovering its WAL, meanwhile). */
async function committedSeries(home: string): Promise<number> {
  for (const deadline = Date.now() + 30_000; ; await Bun.sleep(20)) {
    const db = new Database(join(home, 'data/nora.db'), { readonly: true })
    try {
      return Number((db.query('SELECT COUNT(*) AS n FROM dicom_series').get() as { n: number }).n)
    } catch (e) {
      if (!String((e as { code?: string }).code).startsWith('SQLITE_BUSY') || Date.now() > deadline) throw e
    } finally {
      db.close()
    }
  }
}

// kill -9 in the middle of an import: no half series is visible, and running the same import again completes it
// without duplicates.
describe('an import killed with SIGKILL', () => {
  let home: TestHome
  let source: string

  beforeAll(async () => {
    await ensureBinary()
    home = makeHome()
    source = join(mkdtempSync(join(tmpdir(), 'nora-gen-')), 'study')
    python(`import runpy, sys; sys.argv = ['make-study.py', '${source}', '${SERIES}', '${SLICES}', '128']; runpy.run_path('${join(import.meta.dir, '../../fixtures/generate/make-study.py')}', run_name='__main__')`)
    await runNora(['init'], { home: home.home })
    await runNora(['--createproject', 'crash'], { home: home.home })
  }, 120_000)
  afterAll(() => home.cleanup())

  test('leaves only whole series, and a re-run completes without duplicates', async () => {
    const proc = Bun.spawn([NORA, '-p', 'crash', '--import', source], { cwd: home.home, env: { ...process.env, NORA_HOME: home.home }, stdout: 'ignore', stderr: 'ignore' })
    // Wait until some, not all, series are committed, then kill without warning.
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && (!existsSync(join(home.home, 'data/nora.db')) || (await committedSeries(home.home)) < 3)) await Bun.sleep(20)
    proc.kill('SIGKILL')
    await proc.exited
    const atKill = await committedSeries(home.home)
    expect(atKill).toBeGreaterThanOrEqual(3)
    expect(atKill).toBeLessThan(SERIES)

    // Every series the database shows is whole: all its instances, its NIfTI, sidecar and DICOM bundle on disk.
    const check = async () => {
      const rows = JSON.parse(
        (await runNora(['--sql', 'SELECT ds.folder, ds.base_name, ds.instances, (SELECT COUNT(*) FROM files f WHERE f.study_id = ds.study_id AND f.path LIKE ds.folder || \'/%\') AS files FROM dicom_series ds'], { home: home.home })).stdout,
      ) as { folder: string; base_name: string; instances: number; files: number }[]
      for (const r of rows) {
        expect(r.instances).toBe(SLICES)
        expect(r.files).toBe(2) // .nii and .json
      }
      const sel = JSON.parse((await runNora(['-p', 'crash', '-s', '*', '--json'], { home: home.home })).stdout) as { absolute: string }[]
      for (const f of sel) expect(existsSync(f.absolute), f.absolute).toBe(true)
      return { series: rows.length, files: sel.length }
    }
    expect((await check()).series).toBe(atKill)

    const again = await runNora(['-p', 'crash', '--import', source], { home: home.home, timeoutMs: 120_000 })
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(`${SERIES - atKill} series (${atKill} unchanged)`)
    const after = await check()
    expect(after.series).toBe(SERIES)
    expect(after.files).toBe(SERIES * 3) // nii, json, dicom bundle: no duplicates
    const interrupted = JSON.parse((await runNora(['--sql', "SELECT state, phase FROM imports ORDER BY id"], { home: home.home })).stdout)
    expect(interrupted[0]).toEqual({ state: 'failed', phase: 'interrupted' })
    expect(existsSync(join(home.home, 'data/imports/1'))).toBe(false) // its staging folder was cleaned up
  }, 180_000)
})
