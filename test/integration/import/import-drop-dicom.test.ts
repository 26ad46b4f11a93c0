import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { python } from '../../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'

// Policy "drop": no original DICOM is kept; new instances of a known series are converted on their own.
describe('a project that drops the original DICOM', () => {
  let home: TestHome
  let first: string
  let second: string

  beforeAll(async () => {
    home = makeHome()
    const all = join(mkdtempSync(join(tmpdir(), 'nora-drop-')), 'all')
    python(`import runpy, sys; sys.argv = ['make-study.py', '${all}', '1', '20', '32', 'DROP1']; runpy.run_path('${join(import.meta.dir, '../../fixtures/generate/make-study.py')}', run_name='__main__')`)
    first = join(all, '..', 'first')
    second = join(all, '..', 'second')
    mkdirSync(first)
    mkdirSync(second)
    for (const f of readdirSync(all).sort()) cpSync(join(all, f), join(Number(f.match(/_i(\d+)/)![1]) <= 10 ? first : second, f))
    await runNora(['init'], { home: home.home })
    await runNora(['--createproject', 'lean'], { home: home.home })
    const set = await runNora(['-p', 'lean', '--keepdicom', 'no'], { home: home.home })
    expect(set.stdout).toContain('original DICOM dropped')
  }, 60_000)
  afterAll(() => home.cleanup())

  test('keeps NIfTI and sidecar only, and converts late instances beside the first conversion', async () => {
    expect((await runNora(['-p', 'lean', '--import', first], { home: home.home })).code).toBe(0)
    const late = await runNora(['-p', 'lean', '--import', second], { home: home.home })
    expect(late.code).toBe(0)
    const files = JSON.parse((await runNora(['-p', 'lean', '-s', '*', '--json'], { home: home.home })).stdout) as { filename: string }[]
    expect(files.map((f) => f.filename).sort()).toEqual(['gen_series_1/s001.json', 'gen_series_1/s001.nii', 'gen_series_1/s001_n11.json', 'gen_series_1/s001_n11.nii'])
    const study = join(home.home, 'data/projects/lean/DROP1')
    for (const sid of readdirSync(study)) expect(existsSync(join(study, sid, 'dicom'))).toBe(false)
    // importing the same instances again changes nothing
    expect((await runNora(['-p', 'lean', '--import', second], { home: home.home })).stdout).toContain('0 series (1 unchanged)')
  }, 60_000)
})
