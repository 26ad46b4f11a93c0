import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openServices } from '../../../src/app'
import { loadConfig } from '../../../src/config/load-config'
import { makeHome, type TestHome } from '../../helpers/home'
import { NORA, runNora } from '../../helpers/nora-binary'
import { DICOMDIRTESTS, startOrthanc, type Orthanc } from '../../services/orthanc'
import { archiveOf, until } from './pull-helpers'

/** The built ./nora as users run it: `nora pacs pull` without a server, then a `nora serve` killed mid-pull. */
describe('nora pacs pull (CLI) and a nora killed during a pull', () => {
  let orthanc: Orthanc
  let home: TestHome
  let uids: { uid: string; instances: number }[] = []
  const db = () => new Database(join(home.home, 'data/nora.db'), { readonly: true })

  beforeAll(async () => {
    home = makeHome({ dicom: 'quietSeconds: 2, pullRetrySeconds: 1, pullParallel: 1' })
    orthanc = await startOrthanc({ nora: ['NORA', '127.0.0.1', home.dicomPort] })
    orthanc.load(DICOMDIRTESTS)
    await runNora(['init'], { home: home.home })
    writeFileSync(join(home.home, 'conf/pacs.conf'), `{ nodes: { clinic: { aet: "ORTHANC", host: "127.0.0.1", port: ${orthanc.dicomPort} } } }`)
    for (const p of ['byzip', 'cli', 'cohort']) expect((await runNora(['--createproject', p], { home: home.home })).code).toBe(0)
    expect((await runNora(['-p', 'byzip', '--import', DICOMDIRTESTS], { home: home.home, timeoutMs: 120_000 })).stdout).toContain('7 studies')
    for (const id of (await (await fetch(`${orthanc.url}studies`)).json()) as string[]) {
      const st = (await (await fetch(`${orthanc.url}studies/${id}`)).json()) as { MainDicomTags: { StudyInstanceUID: string } }
      uids.push({ uid: st.MainDicomTags.StudyInstanceUID, instances: ((await (await fetch(`${orthanc.url}studies/${id}/instances`)).json()) as unknown[]).length })
    }
    uids.sort((a, b) => a.instances - b.instances)
  }, 180_000)
  afterAll(async () => {
    await runNora(['stop'], { home: home.home })
    await orthanc?.stop()
    home?.cleanup()
  }, 60_000)

  test('without a server the CLI pulls in-process, prints each state and a summary; an unknown UID makes it exit 1', async () => {
    const two = uids.slice(2, 4)
    const r = await runNora(['-p', 'cli', 'pacs', 'pull', 'clinic', '--study', two[0]!.uid, '--study', two[1]!.uid], { home: home.home, timeoutMs: 120_000 })
    expect(r.stdout).toContain('pull 1: 2 studies from clinic into cli')
    expect(r.stdout).toContain('no nora server runs: retrieving in this process')
    for (const t of two) expect(r.stdout).toContain(`pull 1 ${t.uid} imported ${t.instances}/${t.instances}`)
    expect(r.stdout).toContain('pull 1 done: 2 of 2 studies imported into cli')
    expect(r.code).toBe(0)
    const list = await runNora(['pacs', 'pulls', '--json'], { home: home.home })
    const pulls = JSON.parse(list.stdout) as { id: number; state: string; studies: { state: string }[] }[]
    expect(pulls.map((p) => [p.id, p.state, p.studies.length])).toEqual([[1, 'done', 2]])
    const push = await runNora(['pacs', 'push', 'clinic', '-p', 'cli', '--study', two[0]!.uid], { home: home.home, timeoutMs: 60_000 })
    expect(push.stdout).toContain(`${two[0]!.uid} -> clinic: ${two[0]!.instances} stored, 0 with warnings, 0 failed of ${two[0]!.instances} instances`)
    expect(push.code).toBe(0)
    const file = join(home.home, 'uids.txt')
    writeFileSync(file, `# cohort\n${two[0]!.uid}\n\n1.2.3.999\n`)
    const missing = await runNora(['-p', 'cli', 'pacs', 'pull', 'clinic', '--from-file', file], { home: home.home, timeoutMs: 120_000 })
    expect(missing.stderr).toContain('1.2.3.999: not found on clinic; left out')
    expect(missing.stdout).toContain('pull 2 done: 1 of 1 studies imported into cli, 1 not found on clinic')
    expect(missing.code).toBe(1)
  }, 180_000)

  test('SIGKILL of nora serve mid-pull, then a restart: the pull finishes and no study is imported twice', async () => {
    expect((await runNora(['start'], { home: home.home })).code).toBe(0)
    const file = join(home.home, 'all.txt')
    writeFileSync(file, uids.map((u) => u.uid).join('\n'))
    // The CLI follows the server's progress from the database (the server's runner does the work).
    const follower = Bun.spawn([NORA, '-p', 'cohort', 'pacs', 'pull', 'clinic', '--from-file', file], { cwd: home.home, env: { ...process.env, NORA_HOME: home.home }, stdout: 'pipe', stderr: 'pipe' })
    // A busy database (the server writing, or recovering its WAL) answers nothing yet: the poll asks again.
    const stateOf = () => {
      const d = db()
      try {
        return d.query("SELECT s.state, COUNT(*) AS n FROM pull_studies s JOIN pulls p ON p.id = s.pull_id JOIN projects pr ON pr.id = p.project_id WHERE pr.name = 'cohort' GROUP BY s.state").all() as { state: string; n: number }[]
      } catch (e) {
        if (String((e as { code?: string }).code).startsWith('SQLITE_BUSY')) return []
        throw e
      } finally {
        d.close()
      }
    }
    await until('the server to be mid-pull (some imported, one moving)', () => {
      const st = stateOf()
      const n = (k: string) => st.find((x) => x.state === k)?.n ?? 0
      return n('imported') >= 1 && n('imported') < 6 && n('moving') + n('received') >= 1 ? st : undefined
    }, 120_000)
    const pid = Number(readFileSync(join(home.home, 'data/nora.pid'), 'utf8'))
    process.kill(pid, 'SIGKILL')
    await until('the killed server to be gone', () => {
      try {
        process.kill(pid, 0)
        return undefined
      } catch {
        return true
      }
    })
    const mid = await until('the database to answer', () => {
      const st = stateOf()
      return st.length ? st : undefined
    })
    expect(mid.find((x) => x.state === 'imported')!.n).toBeLessThan(7)
    expect((await runNora(['start'], { home: home.home })).code).toBe(0)
    const timer = setTimeout(() => follower.kill('SIGKILL'), 150_000)
    const [out, code] = await Promise.all([new Response(follower.stdout).text(), follower.exited])
    clearTimeout(timer)
    expect(out).toContain('done: 7 of 7 studies imported into cohort')
    expect(code).toBe(0)
    const s = await openServices(loadConfig(home.home, {}), { migrate: false })
    try {
      expect(await archiveOf(s.db, 'cohort')).toEqual(await archiveOf(s.db, 'byzip'))
      const counts = await s.db.get<{ studies: number; series: number; instances: number }>(
        "SELECT (SELECT COUNT(*) FROM studies WHERE project_id = p.id) AS studies, (SELECT COUNT(*) FROM dicom_series WHERE project_id = p.id) AS series, (SELECT COUNT(*) FROM dicom_instances i JOIN dicom_series d ON d.id = i.series_id WHERE d.project_id = p.id) AS instances FROM projects p WHERE p.name = 'cohort'",
      )
      expect({ studies: Number(counts!.studies), series: Number(counts!.series), instances: Number(counts!.instances) }).toEqual({ studies: 7, series: 14, instances: uids.reduce((a, u) => a + u.instances, 0) })
      const dup = await s.db.all("SELECT f.study_id, f.path FROM files f JOIN projects p ON p.id = f.project_id WHERE p.name = 'cohort' GROUP BY f.study_id, f.path HAVING COUNT(*) > 1")
      expect(dup).toEqual([])
      // Nothing of the pull was left to routes.conf (the quarantine project).
      const q = await s.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM files f JOIN projects p ON p.id = f.project_id WHERE p.name = 'quarantine'")
      expect(Number(q?.n ?? 0)).toBe(0)
    } finally {
      await s.close()
    }
  }, 300_000)
})
