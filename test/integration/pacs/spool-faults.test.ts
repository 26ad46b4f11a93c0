import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openServices, startDicomNode, type Services } from '../../../src/app'
import { loadConfig } from '../../../src/config/load-config'
import { DICOMDIRTESTS } from '../../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'
import { until } from './pull-helpers'

/**
 * The spool under faults, with dcmtk's storescu as the sender. A full disk is a real one: the spool is a tiny tmpfs
 * (the test runs as root, as CI does; without the right to mount it fails and says so).
 */
describe('DICOM spool faults', () => {
  let home: TestHome
  let s: Services
  let node: Awaited<ReturnType<typeof startDicomNode>>
  let spool: string

  beforeAll(async () => {
    home = makeHome({ dicom: 'quietSeconds: 30' })
    await runNora(['init'], { home: home.home })
    writeFileSync(join(home.home, 'conf/routes.conf'), '{ rules: [ { callingAet: "HALVES", project: "halves" } ], defaultProject: "spool" }')
    for (const p of ['spool', 'halves']) expect((await runNora(['--createproject', p], { home: home.home })).code).toBe(0)
    spool = join(home.home, 'data/spool')
    mkdirSync(spool, { recursive: true })
    const m = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', spool], { stderr: 'pipe' })
    if (m.exitCode !== 0) throw new Error(`cannot mount a tmpfs for the full-disk spool (run the suite as root, as test/run.sh in CI does): ${m.stderr.toString()}`)
    s = await openServices(loadConfig(home.home, {}))
    node = await startDicomNode(s, () => {})
  }, 120_000)
  afterAll(async () => {
    node?.stop()
    await s?.close()
    if (spool) Bun.spawnSync(['umount', '-l', spool])
    home?.cleanup()
  }, 30_000)

  /** storescu in a child process, awaited: the SCP answering it lives in this process (a sync spawn would block it). */
  async function storescu(args: string[]): Promise<{ code: number; out: string }> {
    const p = Bun.spawn(['storescu', ...args], { stdout: 'pipe', stderr: 'pipe' })
    const [o, e, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    return { code, out: o + e }
  }

  const instancesIn = async (project: string) =>
    Number((await s.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM dicom_instances i JOIN dicom_series d ON d.id = i.series_id JOIN projects p ON p.id = d.project_id WHERE p.name = ?', [project]))!.n)

  test('disk full in the spool: the instance is answered 0xA700 (Out of Resources), nothing half-written stays, a resend lands', async () => {
    const file = join(DICOMDIRTESTS, '77654033/CT2/17106')
    Bun.spawnSync(['dd', 'if=/dev/zero', `of=${join(spool, 'filler')}`, 'bs=4k'], { stderr: 'pipe' }) // fills it: ENOSPC
    const full = await storescu(['-v', '-aec', 'NORA', '-aet', 'CT', '127.0.0.1', String(home.dicomPort), file])
    expect(full.out).toContain('Received Store Response (Refused: OutOfResources)') // dcmtk's name of 0xA700
    expect(readdirSync(join(spool, 'incoming'))).toEqual([])
    rmSync(join(spool, 'filler'))
    const again = await storescu(['-aec', 'NORA', '-aet', 'CT', '127.0.0.1', String(home.dicomPort), file])
    expect(again.code).toBe(0)
    expect(again.out).not.toContain('Refused')
    await until('the resent instance to be imported', async () => ((await instancesIn('spool')) === 1 ? true : undefined), 60_000)
  }, 90_000)

  test('a study sent over two associations (storescu twice, with halves) is one import', async () => {
    const dir = join(DICOMDIRTESTS, 'TINY_ALPHA/PT000000/ST000000/SE000000')
    const files = readdirSync(dir).sort().map((f) => join(dir, f))
    expect(files.length).toBe(50)
    expect(Bun.spawnSync(['mount', '-o', 'remount,size=16m', spool]).exitCode).toBe(0) // room for the whole study
    for (const half of [files.slice(0, 25), files.slice(25)]) expect((await storescu(['-aec', 'NORA', '-aet', 'HALVES', '127.0.0.1', String(home.dicomPort), ...half])).code).toBe(0)
    await until('the study to be imported', async () => ((await instancesIn('halves')) === 50 ? true : undefined), 60_000)
    const imports = await s.db.all<{ id: number }>("SELECT i.id FROM imports i JOIN projects p ON p.id = i.project_id WHERE p.name = 'halves'")
    expect(imports.length).toBe(1)
    const series = await s.db.all("SELECT d.id FROM dicom_series d JOIN projects p ON p.id = d.project_id WHERE p.name = 'halves'")
    expect(series.length).toBe(1)
  }, 90_000)
})
