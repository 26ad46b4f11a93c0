import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DICOMDIRTESTS, python } from '../../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'
import { dcmtk, sql, waitFor } from '../../helpers/dcmtk'

const SLICES = 200
const SIZE = 256

describe('DICOM receiver under faults (dcmtk storescu as a misbehaving scanner)', () => {
  let home: TestHome
  let work: string
  let big: string

  beforeAll(async () => {
    home = makeHome({ dicom: 'quietSeconds: 2' })
    work = mkdtempSync(join(tmpdir(), 'nora-faults-'))
    big = join(work, 'big')
    python(`import runpy, sys; sys.argv = ['make-study.py', '${big}', '1', '${SLICES}', '${SIZE}', 'FAULT01']; runpy.run_path('${join(import.meta.dir, '../../fixtures/generate/make-study.py')}', run_name='__main__')`)
    // An MR instance without Study/Series UIDs: storescu sends it, nora cannot file it anywhere.
    python(
      `import sys
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage
m = FileMetaDataset(); m.MediaStorageSOPClassUID = MRImageStorage; m.MediaStorageSOPInstanceUID = '1.2.826.0.1.3680043.9.7433.99.1'; m.TransferSyntaxUID = ExplicitVRLittleEndian
d = Dataset(); d.file_meta = m; d.SOPClassUID = MRImageStorage; d.SOPInstanceUID = '1.2.826.0.1.3680043.9.7433.99.1'; d.PatientID = 'BROKEN'
d.is_little_endian = True; d.is_implicit_VR = False; d.save_as(sys.argv[1], write_like_original=False)`,
      [join(work, 'a-malformed.dcm')],
    )
    copyFileSync(join(DICOMDIRTESTS, '77654033/CR1/6154'), join(work, 'b-valid.dcm'))
    await runNora(['init'], { home: home.home })
    writeFileSync(join(home.home, 'conf/routes.conf'), '{ rules: [ { callingAet: "SCANNER", project: "faults" } ] }')
    await runNora(['--createproject', 'faults'], { home: home.home })
    expect((await runNora(['start'], { home: home.home })).code).toBe(0)
  }, 180_000)
  afterAll(async () => {
    await runNora(['stop'], { home: home.home })
    home.cleanup()
    rmSync(work, { recursive: true, force: true })
  }, 60_000)

  test('a malformed instance is answered with a failure status and the association goes on', async () => {
    const sent = dcmtk('storescu', ['-v', '-nh', '-aec', 'NORA', '-aet', 'SCANNER', '127.0.0.1', String(home.dicomPort), join(work, 'a-malformed.dcm'), join(work, 'b-valid.dcm')])
    const statuses = [...sent.out.matchAll(/Received Store Response \(([^)]*)\)/g)].map((m) => m[1])
    expect(statuses, sent.out).toHaveLength(2)
    expect(statuses[0]).toBe('Error: CannotUnderstand') // 0xC000; -nh: storescu would stop at the first failure otherwise
    expect(statuses[1]).toBe('Success')
    expect(sent.out).toContain('Releasing Association')
    const rows = await waitFor('the valid instance to be imported', async () => {
      const r = await sql<{ n: number }>(home, "SELECT COUNT(*) AS n FROM dicom_series ds JOIN projects p ON p.id = ds.project_id WHERE p.name = 'faults'")
      return r[0]!.n > 0 ? r : undefined
    })
    expect(rows[0]!.n).toBe(1)
    const broken = await sql<{ n: number }>(home, "SELECT COUNT(*) AS n FROM subjects WHERE patients_id LIKE '%BROKEN%'")
    expect(broken[0]!.n).toBe(0)
    // nothing of the malformed instance is left in the spool
    await waitFor('an empty spool', async () => (readdirSync(join(home.home, 'data/spool/incoming')).length === 0 ? true : undefined), 10_000)
  }, 90_000)

  test('a sender killed mid-association keeps what was acknowledged; a resend completes the series without duplicates', async () => {
    const seriesOf = () =>
      sql<{ series_uid: string; instances: number }>(home, "SELECT ds.series_uid, ds.instances FROM dicom_series ds JOIN subjects s ON s.id = (SELECT subject_id FROM studies WHERE id = ds.study_id) WHERE s.patients_id LIKE '%FAULT01%' OR ds.series_uid LIKE '1.2.826.0.1.3680043.9.7433.%'")
    const proc = Bun.spawn(['storescu', '-v', '-aec', 'NORA', '-aet', 'SCANNER', '+sd', '127.0.0.1', String(home.dicomPort), big], { stdout: 'pipe', stderr: 'pipe' })
    let acked = 0
    let log = ''
    const decoder = new TextDecoder()
    const readAll = async (stream: ReadableStream<Uint8Array>) => {
      const reader = stream.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        log += decoder.decode(value)
        acked = (log.match(/Received Store Response \(Success\)/g) ?? []).length
        if (acked >= 40) proc.kill('SIGKILL')
      }
    }
    await Promise.all([readAll(proc.stdout), readAll(proc.stderr), proc.exited])
    expect(proc.signalCode).toBe('SIGKILL')
    expect(acked).toBeGreaterThanOrEqual(40)
    expect(acked).toBeLessThan(SLICES)

    // The association was never released: the study is imported once it has been quiet, with at least what was acknowledged.
    const partial = await waitFor('the acknowledged part to be imported', async () => {
      const r = await seriesOf()
      return r.length ? r : undefined
    })
    expect(partial).toHaveLength(1)
    expect(partial[0]!.instances).toBeGreaterThanOrEqual(acked)
    expect(partial[0]!.instances).toBeLessThan(SLICES)

    const again = dcmtk('storescu', ['-aec', 'NORA', '-aet', 'SCANNER', '+sd', '127.0.0.1', String(home.dicomPort), big])
    expect(again.code).toBe(0)
    expect(again.out).not.toContain('Store Failed')
    const whole = await waitFor('the whole series', async () => {
      const r = await seriesOf()
      return r.length === 1 && r[0]!.instances === SLICES ? r : undefined
    }, 120_000)
    expect(whole).toEqual([{ series_uid: partial[0]!.series_uid, instances: SLICES }])
    const files = JSON.parse((await runNora(['-p', 'faults', '-s', '*', '--json'], { home: home.home })).stdout) as { absolute: string }[]
    const niftis = files.map((f) => f.absolute).filter((f) => /\.nii(\.gz)?$/.test(f))
    const shapes = python('import sys, nibabel as nib; print("\\n".join(str(list(nib.load(p).shape)) for p in sys.argv[1:]))', niftis).trim().split('\n')
    expect(shapes.filter((s) => s === `[${SIZE}, ${SIZE}, ${SLICES}]`)).toHaveLength(1) // one whole volume, no half copy beside it
    // That volume and the CR from the first test: nothing left of the partial conversion (which, with gaps between
    // the acknowledged slices, dcm2niix may have written as s001.nii + s001_Eq_1.nii).
    expect(niftis.length, `stale files of the partial conversion beside the whole series: ${JSON.stringify(niftis.map((n, i) => `${n} ${shapes[i]}`))}`).toBe(2)
  }, 240_000)
})
