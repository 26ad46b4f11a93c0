import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { dcmtk, sql, waitFor } from '../../helpers/dcmtk'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'

/**
 * The receiver's own C-STORE path (src/dicom/dimse/c-store-intake.ts): an instance whose header does not fit the
 * 64 KB nora keeps in memory is read back from its spool file, and instances of one study arriving on several
 * associations at once (their directory fsyncs grouped) are all answered Success and all imported.
 */
describe('DICOM receiver: big headers and parallel associations (dcmtk storescu, pydicom-made instances)', () => {
  let home: TestHome
  let bigHeader: string
  let bigSop: string
  let series: string

  beforeAll(async () => {
    home = makeHome({ dicom: 'quietSeconds: 2' })
    series = join(home.home, 'series')
    const made = Bun.spawnSync(['/usr/bin/python3', join(import.meta.dir, '../../fixtures/generate/make-study.py'), series, '1', '40', '64', 'PARALLEL1'], { stderr: 'pipe' })
    expect(made.exitCode, made.stderr.toString()).toBe(0)
    // One instance with a 200 KB private element before its pixels (pydicom writes it; nora never made it).
    bigHeader = join(home.home, 'big-header.dcm')
    const py = `
import sys
import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = MRImageStorage
meta.MediaStorageSOPInstanceUID = '1.2.826.0.1.3680043.9.7433.9.1.1.1'
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = Dataset()
ds.file_meta = meta
ds.SOPClassUID = MRImageStorage
ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
ds.StudyInstanceUID = '1.2.826.0.1.3680043.9.7433.9.1'
ds.SeriesInstanceUID = '1.2.826.0.1.3680043.9.7433.9.1.1'
ds.PatientID = 'BIGHEADER'
ds.PatientName = 'Big^Header'
ds.Modality = 'MR'
ds.SeriesNumber = 1
ds.InstanceNumber = 1
ds.add_new(0x00090010, 'LO', 'NORA TEST')
ds.add_new(0x00091001, 'OB', bytes(200 * 1024))
ds.Rows = ds.Columns = 32
ds.BitsAllocated = 16
ds.BitsStored = 16
ds.HighBit = 15
ds.PixelRepresentation = 1
ds.SamplesPerPixel = 1
ds.PhotometricInterpretation = 'MONOCHROME2'
ds.PixelData = np.arange(32 * 32, dtype=np.int16).tobytes()
ds.is_little_endian = True
ds.is_implicit_VR = False
ds.save_as(sys.argv[1], write_like_original=False)
`
    const big = Bun.spawnSync(['/usr/bin/python3', '-c', py, bigHeader], { stderr: 'pipe' })
    expect(big.exitCode, big.stderr.toString()).toBe(0)
    bigSop = '1.2.826.0.1.3680043.9.7433.9.1.1.1'
    expect((await runNora(['init'], { home: home.home })).code).toBe(0)
    writeFileSync(join(home.home, 'conf/routes.conf'), '{ defaultProject: "recv" }')
    expect((await runNora(['--createproject', 'recv'], { home: home.home })).code).toBe(0)
    expect((await runNora(['start'], { home: home.home })).code).toBe(0)
  }, 120_000)

  afterAll(async () => {
    await runNora(['stop'], { home: home.home })
    home.cleanup()
  }, 60_000)

  const importedSops = async () => new Set((await sql<{ sop: string }>(home, 'SELECT sop_uid AS sop FROM dicom_instances')).map((r) => r.sop))

  test('an instance whose header is larger than 64 KB is answered Success and imported', async () => {
    const sent = dcmtk('storescu', ['-v', '-aec', 'NORA', '-aet', 'SCANNER', '127.0.0.1', String(home.dicomPort), bigHeader])
    expect(sent.code, sent.out).toBe(0)
    expect(sent.out).toContain('Received Store Response (Success)')
    await waitFor('the instance to be imported', async () => ((await importedSops()).has(bigSop) ? true : undefined), 90_000)
  }, 120_000)

  test('40 instances of one series over 4 associations at once: every one answered Success and imported', async () => {
    const files = readdirSync(series)
      .sort()
      .map((f) => join(series, f))
    const procs = [0, 1, 2, 3].map((k) =>
      Bun.spawn(['storescu', '-v', '-aec', 'NORA', '-aet', `SENDER${k}`, '127.0.0.1', String(home.dicomPort), ...files.filter((_f, i) => i % 4 === k)], { stdout: 'pipe', stderr: 'pipe' }),
    )
    const outs = await Promise.all(procs.map(async (p) => ({ code: await p.exited, out: (await new Response(p.stdout).text()) + (await new Response(p.stderr).text()) })))
    for (const o of outs) expect(o.code, o.out).toBe(0)
    const successes = outs.reduce((n, o) => n + (o.out.match(/Received Store Response \(Success\)/g) ?? []).length, 0)
    expect(successes).toBe(files.length)
    const sops = Bun.spawnSync(['/usr/bin/python3', '-c', 'import sys, pydicom\nfor f in sys.argv[1:]: print(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID)', ...files]).stdout.toString().trim().split('\n')
    expect(sops).toHaveLength(files.length)
    await waitFor('all 40 instances to be imported', async () => {
      const have = await importedSops()
      return sops.every((s) => have.has(s)) ? true : undefined
    }, 90_000)
    // Nothing left behind in the spool's incoming folder.
    expect(readdirSync(join(home.home, 'data/spool/incoming'))).toEqual([])
  }, 150_000)
})
