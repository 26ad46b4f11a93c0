import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openServices, type Services } from '../../../src/app'
import { loadConfig } from '../../../src/config/load-config'
import type { User } from '../../../src/core/types'
import { PYDICOM, python } from '../../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../../helpers/home'

/** Writes a zip with python's zipfile: members are [name, source file or literal text]. */
function makeZip(members: [string, { file?: string; text?: string; zeros?: number }][]): string {
  const out = join(mkdtempSync(join(tmpdir(), 'nora-bad-')), 'bad.zip')
  python(
    `
import sys, json, zipfile
members = json.loads(sys.argv[2])
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for name, src in members:
        if 'file' in src: z.writestr(name, open(src['file'], 'rb').read())
        elif 'zeros' in src: z.writestr(name, bytes(src['zeros']))
        else: z.writestr(name, src['text'])`,
    [out, JSON.stringify(members)],
  )
  return out
}

describe('bad input to the importer is reported and the rest imports', () => {
  let home: TestHome
  let s: Services
  let admin: User
  const run = async (source: string, opts = {}) => {
    const { id, ended } = await s.importer.submit(admin, 'bad', source, { ...opts, here: true })
    const record = await ended
    return { record, problems: (await s.importer.status(id))!.problems }
  }

  beforeAll(async () => {
    home = makeHome()
    s = await openServices(loadConfig(home.home, {}))
    admin = (await s.users.add('admin', { siteAdmin: true })).user
    await s.archive.createProject(admin, 'bad')
  })
  afterAll(async () => {
    await s.close()
    home.cleanup()
  })

  test('zip-slip and absolute member names are refused, corrupt DICOM and text are reported, the good file imports', async () => {
    const zip = makeZip([
      ['ok/CT_small.dcm', { file: join(PYDICOM, 'CT_small.dcm') }],
      ['../../evil.dcm', { file: join(PYDICOM, 'MR_small.dcm') }],
      ['/etc/abs.dcm', { file: join(PYDICOM, 'MR_small.dcm') }],
      ['ok/MR_truncated.dcm', { file: join(PYDICOM, 'MR_truncated.dcm') }],
      ['ok/notes.txt', { text: 'not an image' }],
      ['ok/garbage.dcm', { text: `${'\0'.repeat(128)}DICMgarbage that is not a dataset` }],
    ])
    const { record, problems } = await run(zip)
    expect(record.message).toBe('finished with 4 error(s); see the report')
    expect(record.state).toBe('done')
    const by = (file: string) => problems.find((p) => p.file === file)?.message ?? ''
    expect(by('../../evil.dcm')).toContain('climbs out with ".."')
    expect(by('/etc/abs.dcm')).toContain('absolute path')
    expect(by('ok/notes.txt')).toContain('not DICOM')
    expect(by('ok/garbage.dcm')).toMatch(/corrupt DICOM/)
    // MR_truncated's header is intact but its pixel data is cut: dcm2niix refuses it, the DICOM is kept.
    expect(problems.some((p) => p.message.includes('kept as DICOM only'))).toBe(true)
    expect(record.counts.series).toBe(2)
    expect(existsSync(join(home.home, 'evil.dcm'))).toBe(false)
    expect(existsSync(join(home.home, 'data', 'evil.dcm'))).toBe(false)
    const files = []
    for await (const page of s.archive.select(admin, 'bad', '*/s*.nii')) files.push(...page)
    expect(files.map((f) => f.patients_id)).toEqual(['1CT1'])
  })

  test('non-DICOM files named by --extrafiles_filter are added to the study beside them', async () => {
    const zip = makeZip([
      ['p/CT_small.dcm', { file: join(PYDICOM, 'CT_small.dcm') }],
      ['p/mask.nii', { file: '/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii' }],
      ['p/readme.txt', { text: 'skip me' }],
    ])
    const { problems } = await run(zip, { extraExtensions: ['nii'] })
    expect(problems.map((p) => p.file)).toEqual(['p/readme.txt'])
    const extras = []
    for await (const page of s.archive.select(admin, 'bad', 'extra/*')) extras.push(...page)
    expect(extras.map((f) => f.path)).toEqual(['extra/mask.nii'])
  })

  test('a zip bomb is stopped by the ratio limit before it fills the disk', async () => {
    const zip = makeZip([['bomb.bin', { zeros: 120_000_000 }]])
    const { record } = await run(zip)
    expect(record.state).toBe('failed')
    expect(record.message).toContain('zip bomb')
    expect(readdirSync(join(home.home, 'data', 'imports'))).toEqual([]) // staging cleaned up
  })

  test('a truncated zip is refused with a clear message', async () => {
    const good = makeZip([['a/CT_small.dcm', { file: join(PYDICOM, 'CT_small.dcm') }]])
    const cut = join(mkdtempSync(join(tmpdir(), 'nora-cut-')), 'cut.zip')
    await Bun.write(cut, (await Bun.file(good).bytes()).subarray(0, 2000))
    const { record } = await run(cut)
    expect(record.state).toBe('failed')
    expect(record.message).toMatch(/not a readable zip/)
  })

  test('the transfer-syntax variants of MR_small all import (implicit, big endian, RLE, JPEG-LS, JPEG 2000)', async () => {
    const names = ['MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_RLE.dcm', 'MR_small_jpeg_ls_lossless.dcm', 'MR_small_jp2klossless.dcm']
    for (const n of names) {
      const { record, problems } = await run(makeZip([[n, { file: join(PYDICOM, n) }]]))
      expect(problems, n).toEqual([])
      expect(record.counts.instances + record.counts.unchanged, n).toBeGreaterThan(0)
    }
  })
})
