import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DICOMDIRTESTS } from '../../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'
import { dcmtk, sql, waitFor } from '../../helpers/dcmtk'

describe('DICOM receiver (storescu and echoscu from dcmtk as the scanner)', () => {
  let home: TestHome

  beforeAll(async () => {
    home = makeHome({ dicom: 'quietSeconds: 2' })
    await runNora(['init'], { home: home.home })
    writeFileSync(join(home.home, 'conf/pacs.conf'), '{ allowedCallingAets: ["SCANNER", "OTHER"] }')
    writeFileSync(join(home.home, 'conf/routes.conf'), '{ rules: [ { callingAet: "SCANNER", project: "neuro" } ] }')
    await runNora(['--createproject', 'neuro'], { home: home.home })
    await runNora(['--createproject', 'byzip'], { home: home.home })
    expect((await runNora(['start'], { home: home.home })).code).toBe(0)
  }, 60_000)
  afterAll(async () => {
    await runNora(['stop'], { home: home.home })
    home.cleanup()
  })

  test('answers C-ECHO and reports the listener in /api/health', async () => {
    expect(dcmtk('echoscu', ['-aec', 'NORA', '-aet', 'SCANNER', '127.0.0.1', String(home.dicomPort)]).code).toBe(0)
    const health = (await (await fetch(`${home.url}api/health`)).json()) as { dicom: { state: string } }
    expect(health.dicom.state).toBe('listening')
  })

  test('rejects an unknown calling AE and a wrong called AE', () => {
    const unknown = dcmtk('echoscu', ['-aec', 'NORA', '-aet', 'INTRUDER', '127.0.0.1', String(home.dicomPort)])
    expect(unknown.code).not.toBe(0)
    expect(unknown.out).toContain('Calling AE Title Not Recognized')
    const wrong = dcmtk('echoscu', ['-aec', 'ELSEWHERE', '-aet', 'SCANNER', '127.0.0.1', String(home.dicomPort)])
    expect(wrong.out).toContain('Called AE Title Not Recognized')
  })

  test('a study sent by storescu lands in the routed project as the zip import would put it', async () => {
    const sent = dcmtk('storescu', ['-nh', '-aec', 'NORA', '-aet', 'SCANNER', '+sd', '+r', '127.0.0.1', String(home.dicomPort), DICOMDIRTESTS])
    expect(sent.out).not.toContain('Store Failed')
    const byzip = await runNora(['-p', 'byzip', '--import', DICOMDIRTESTS], { home: home.home, timeoutMs: 120_000 })
    expect(byzip.stdout).toContain('3 patients, 7 studies, 14 series')
    const filesOf = async (project: string) =>
      (await sql<{ rel: string }>(home, `SELECT p.patients_id || '/' || s.studies_id || '/' || f.path AS rel FROM files f JOIN studies s ON s.id = f.study_id JOIN subjects p ON p.id = s.subject_id JOIN projects pr ON pr.id = f.project_id WHERE pr.name = '${project}' ORDER BY rel`)).map((r) => r.rel)
    const expected = await filesOf('byzip')
    expect(expected.length).toBeGreaterThan(40)
    const received = await waitFor('the received studies to be imported', async () => {
      const got = await filesOf('neuro')
      return got.length >= expected.length ? got : undefined
    })
    expect(received).toEqual(expected)
    const counts = await sql<{ subjects: number; studies: number; series: number }>(
      home,
      "SELECT (SELECT COUNT(*) FROM subjects WHERE project_id = p.id) AS subjects, (SELECT COUNT(*) FROM studies WHERE project_id = p.id) AS studies, (SELECT COUNT(*) FROM dicom_series WHERE project_id = p.id) AS series FROM projects p WHERE p.name = 'neuro'",
    )
    expect(counts[0]).toEqual({ subjects: 3, studies: 7, series: 14 })
  }, 120_000)

  test('data no rule claims goes to the quarantine project, never away', async () => {
    const sent = dcmtk('storescu', ['-aec', 'NORA', '-aet', 'OTHER', '127.0.0.1', String(home.dicomPort), join(DICOMDIRTESTS, '77654033/CR1/6154')])
    expect(sent.code).toBe(0)
    const rows = await waitFor('the quarantine import', async () => {
      const r = await sql<{ n: number }>(home, "SELECT COUNT(*) AS n FROM files f JOIN projects p ON p.id = f.project_id WHERE p.name = 'quarantine' AND f.path LIKE '%.nii'")
      return r[0]!.n > 0 ? r : undefined
    })
    expect(rows[0]!.n).toBe(1)
  }, 60_000)
})
