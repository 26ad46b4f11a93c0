// ROIs saved with reading results, on the real app and database (SQLite or a fresh MariaDB): a reading with
// "tools": {"roi": 1} over two studies whose image nibabel wrote; a reader submits a result with a mask nibabel wrote
// on the case's grid; the listed voxel count and volume are numpy's; the download is the file byte for byte; another
// reader cannot get it, the reading admin can; the CSV lists it; a resubmit replaces it (files too); a wrong grid, too
// many and too large ROIs are refused with what to do; a restart deletes the caller's ROIs with the results, files
// too; deleting the reading deletes its folder.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pythonJson } from '../../helpers/dicom-fixtures'
import { startApp, type Dialect, type Harness } from '../http/harness'
import { seedT1Studies } from './seed-studies'
import { parseCsv } from './describe-reading-api'

const PW = 'long enough password 1'
const GRID = [20, 16, 12]

/** nibabel writes the case images and the masks; numpy counts the masks' voxels (the oracle). */
const FIXTURES = `
import json, sys, numpy as np, nibabel as nib
out = sys.argv[1]
grid = (20, 16, 12)
aff = np.diag([1.5, 1.25, 3.0, 1.0]); aff[:3, 3] = [-10, 12, 30]
rng = np.random.default_rng(7)
for name in ['P1', 'P2']:
    img = nib.Nifti1Image(rng.integers(0, 1000, grid).astype(np.int16), aff)
    nib.save(img, f'{out}/{name}-t1.nii.gz')
i, j, k = np.indices(grid)
def save(name, mask, affine=aff, dtype=np.uint8):
    nib.save(nib.Nifti1Image(mask.astype(dtype), affine), f'{out}/{name}.nii.gz')
    return int(np.count_nonzero(mask))
res = {}
res['lesion'] = save('lesion', (i - 8) ** 2 + (j - 7) ** 2 + ((k - 5) * 2) ** 2 <= 25)
res['cyst'] = save('cyst', (i >= 2) & (i < 5) & (j >= 1) & (j < 4) & (k == 9), dtype=np.int16)
res['again'] = save('again', (i < 3) & (k < 2))
res['wrong'] = save('wrong', np.ones((10, 10, 10), bool))
res['zooms'] = [float(z) for z in nib.load(f'{out}/lesion.nii.gz').header.get_zooms()[:3]]
print(json.dumps(res))
`

export function describeReadingRois(dialect: Dialect) {
  describe(`reading result ROIs (${dialect})`, () => {
    let h: Harness
    let dir: string
    let counts: { lesion: number; cyst: number; again: number; wrong: number; zooms: number[] }
    const tokens: Record<string, string> = {}
    const base = '/api/projects/rr/readings'
    let readingId = 0
    const call = async (who: string, method: string, path: string, body?: unknown) => {
      const res = await h.request(path, { method, headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
      const type = res.headers.get('content-type') ?? ''
      return { status: res.status, body: type.includes('json') ? await res.json() : type.includes('gzip') ? new Uint8Array(await res.arrayBuffer()) : await res.text() }
    }
    const file = (name: string) => readFileSync(join(dir, `${name}.nii.gz`))
    const roi = (name: string, as = name) => ({ name: as, data: file(name).toString('base64') })
    let session: { sessionId: number; cases: { caseKey: string; repetition: number; stage: number }[] }
    const submit = (who: string, index: number, rois?: unknown[]) => {
      const c = session.cases[index]!
      return call(who, 'POST', `${base}/${readingId}/results`, { sessionId: session.sessionId, caseKey: c.caseKey, repetition: c.repetition, stage: c.stage, mode: 'serious', values: { finding: 'yes' }, activeSeconds: 1, startedAt: Date.now() - 2_000, ...(rois ? { rois } : {}) })
    }
    const roisRoot = () => join(h.services.config.dataRoot, 'readings')

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nora-reading-rois-'))
      counts = pythonJson(FIXTURES, dir)
      h = await startApp(dialect, 'auth: { maxFailedLogins: 1000 }')
      const root = await h.user('root', PW, { siteAdmin: true })
      const project = await h.services.archive.createProject(root, 'rr')
      await seedT1Studies(h, project, ['P1', 'P2'], dir, 'MR head')
      for (const [name, role] of [['ann', 'admin'], ['bob', 'read'], ['cat', 'read']] as const) {
        const u = await h.user(name, PW)
        await h.services.repos.rights.grant(u.id, project.id, role)
        tokens[name] = await h.services.auth.createToken(u, 'reading roi test')
      }
    }, 120_000)

    afterAll(async () => {
      await h?.close()
      if (dir) rmSync(dir, { recursive: true, force: true })
    })

    test('a reading with the ROI tool; a reader submits a result with an ROI on the case grid: numpy\'s voxel count, its volume', async () => {
      const config = {
        name: 'ROIREAD',
        mode: 'individual',
        admins: ['ann'],
        readers: ['bob', 'cat'],
        form: { type: 'basis', items: [{ type: 'radio', name: 'finding', options: ['yes', 'no'] }] },
        reading: {
          reading: { random: 'none', repetitions: 1, allowRestartOfSerious: 1 },
          tools: { roi: 1 },
          viewer: { sortOrder: 'patients_id', sortDirection: 'asc', autoloaders: [{ pattern: 'anat/t1.nii.gz', viewport: 1, as: 'background', colormap: 'gray' }] },
        },
      }
      const created = await call('ann', 'POST', base, { config })
      expect(created.status).toBe(201)
      readingId = created.body.id
      const s = await call('bob', 'POST', `${base}/${readingId}/session`, { mode: 'serious' })
      expect(s.status).toBe(200)
      session = s.body
      expect(session.cases.length).toBe(2)
      const r = await submit('bob', 0, [roi('lesion'), roi('cyst')])
      expect(r.status).toBe(200)
      const results = await call('bob', 'GET', `${base}/${readingId}/results`)
      expect(results.body.length).toBe(1)
      const listed = results.body[0].rois
      expect(listed.map((x: { name: string }) => x.name)).toEqual(['lesion', 'cyst'])
      expect(listed[0].voxels).toBe(counts.lesion)
      expect(listed[1].voxels).toBe(counts.cyst)
      expect(counts.lesion).toBeGreaterThan(20)
      const voxelMl = (counts.zooms[0]! * counts.zooms[1]! * counts.zooms[2]!) / 1000
      expect(listed[0].ml).toBeCloseTo(counts.lesion * voxelMl, 6)
      expect(listed[0].file).toBe('1.nii.gz')
      // On disk under the data root, named by numbers only.
      const folder = join(roisRoot(), String(readingId), String(results.body[0].id))
      expect(readdirSync(folder).sort()).toEqual(['1.nii.gz', '2.nii.gz'])
    })

    test('the download is the file byte for byte; another reader gets none; the reading admin gets it; the CSV lists it', async () => {
      const results = await call('bob', 'GET', `${base}/${readingId}/results`)
      const url = results.body[0].rois[0].url
      expect(url).toBe(`${base}/${readingId}/results/${results.body[0].id}/rois/1`)
      const own = await call('bob', 'GET', url)
      expect(own.status).toBe(200)
      expect(Buffer.from(own.body).equals(file('lesion'))).toBe(true)
      const other = await call('cat', 'GET', url)
      expect([403, 404]).toContain(other.status)
      expect((await call('cat', 'GET', `${base}/${readingId}/results`)).body).toEqual([])
      const admin = await call('ann', 'GET', `${base}/${readingId}/results/${results.body[0].id}/rois/2`)
      expect(admin.status).toBe(200)
      expect(Buffer.from(admin.body).equals(file('cyst'))).toBe(true)
      expect((await call('ann', 'GET', `${base}/${readingId}/results/${results.body[0].id}/rois/3`)).status).toBe(404)
      const csv = parseCsv((await call('ann', 'GET', `${base}/${readingId}/results.csv`)).body)
      const col = csv[0]!.indexOf('rois')
      expect(col).toBeGreaterThan(0)
      expect(csv.length).toBe(2) // one row per reader × case × repetition
      const cell = JSON.parse(csv[1]![col]!)
      expect(cell.map((x: { name: string; voxels: number }) => [x.name, x.voxels])).toEqual([
        ['lesion', counts.lesion],
        ['cyst', counts.cyst],
      ])
    })

    test('a resubmit replaces the result and its ROIs, files too', async () => {
      const before = (await call('bob', 'GET', `${base}/${readingId}/results`)).body[0].id
      expect((await submit('bob', 0, [roi('again', 'corner')])).status).toBe(200)
      const after = (await call('bob', 'GET', `${base}/${readingId}/results`)).body
      expect(after.length).toBe(1)
      expect(after[0].rois.map((x: { name: string; voxels: number }) => [x.name, x.voxels])).toEqual([['corner', counts.again]])
      expect(existsSync(join(roisRoot(), String(readingId), String(before)))).toBe(false)
      expect(statSync(join(roisRoot(), String(readingId), String(after[0].id), '1.nii.gz')).size).toBe(file('again').length)
    })

    test('a mask on another grid, too many and too large ROIs are refused with what to do; nothing is stored', async () => {
      const wrong = await submit('bob', 1, [roi('wrong')])
      expect(wrong.status).toBe(400)
      expect(wrong.body.error).toContain('10x10x10')
      expect(wrong.body.error).toContain(GRID.join('x'))
      expect(wrong.body.error).toContain('draw the ROI on the case')
      const many = await submit('bob', 1, Array.from({ length: 21 }, (_, i) => roi('cyst', `c${i}`)))
      expect(many.status).toBe(413)
      expect(many.body.error).toContain('at most 20')
      const big = await submit('bob', 1, [{ name: 'big', data: Buffer.alloc(5 * 1024 * 1024, 7).toString('base64') }])
      expect(big.status).toBe(413)
      expect(big.body.error).toContain('at most 4.0 MB')
      const badName = await submit('bob', 1, [roi('cyst', '../x')])
      expect(badName.status).toBe(400)
      expect((await call('bob', 'GET', `${base}/${readingId}/results`)).body.length).toBe(1)
    })

    test('a restart deletes the caller\'s results with their ROI files; deleting the reading deletes its folder', async () => {
      const c = await submit('cat', 0, [roi('lesion')])
      // cat has no session yet
      expect(c.status).toBe(404)
      session = (await call('cat', 'POST', `${base}/${readingId}/session`, { mode: 'serious' })).body
      expect((await submit('cat', 1, [roi('cyst')])).status).toBe(200)
      const bobResult = (await call('bob', 'GET', `${base}/${readingId}/results`)).body[0].id
      const catResult = (await call('cat', 'GET', `${base}/${readingId}/results`)).body[0].id
      const restart = await call('bob', 'POST', `${base}/${readingId}/restart`, { mode: 'serious' })
      expect(restart.status).toBe(200)
      expect(existsSync(join(roisRoot(), String(readingId), String(bobResult)))).toBe(false)
      expect(existsSync(join(roisRoot(), String(readingId), String(catResult), '1.nii.gz'))).toBe(true)
      expect((await call('ann', 'GET', `${base}/${readingId}/results/${bobResult}/rois/1`)).status).toBe(404)
      expect((await call('ann', 'DELETE', `${base}/${readingId}`)).status).toBe(200)
      expect(existsSync(join(roisRoot(), String(readingId)))).toBe(false)
    })

    test('a reading without the ROI tool refuses ROIs; a blind reading keeps them from its readers, not from its admins', async () => {
      const config = (mode: string, tools: Record<string, number>) => ({
        name: `R${mode}`,
        mode,
        admins: ['ann'],
        readers: ['bob'],
        form: { type: 'basis', items: [{ type: 'radio', name: 'finding', options: ['yes', 'no'] }] },
        reading: { reading: { random: 'none' }, tools, viewer: { autoloaders: [{ pattern: 'anat/t1.nii.gz', viewport: 1, as: 'background', colormap: 'gray' }] } },
      })
      readingId = (await call('ann', 'POST', base, { config: config('individual', { markers: 1 }) })).body.id
      session = (await call('bob', 'POST', `${base}/${readingId}/session`, { mode: 'serious' })).body
      const refused = await submit('bob', 0, [roi('lesion')])
      expect(refused.status).toBe(400)
      expect(refused.body.error).toContain('"tools": {"roi": 1}')

      readingId = (await call('ann', 'POST', base, { config: config('blind', { roi: 1 }) })).body.id
      session = (await call('bob', 'POST', `${base}/${readingId}/session`, { mode: 'serious' })).body
      expect(session.cases[0]!.caseKey).not.toContain('P1')
      expect((await submit('bob', 0, [roi('lesion')])).status).toBe(200)
      const own = (await call('bob', 'GET', `${base}/${readingId}/results`)).body
      expect(own[0].rois).toEqual([])
      const all = (await call('ann', 'GET', `${base}/${readingId}/results`)).body
      expect(all[0].rois.map((x: { voxels: number }) => x.voxels)).toEqual([counts.lesion])
      expect(all[0].rois[0].url).not.toMatch(/P1|S1/)
      expect((await call('bob', 'GET', all[0].rois[0].url)).status).toBe(403)
      const admin = await call('ann', 'GET', all[0].rois[0].url)
      expect(Buffer.from(admin.body).equals(file('lesion'))).toBe(true)
      expect(readdirSync(join(roisRoot(), String(readingId), String(all[0].id)))).toEqual(['1.nii.gz'])
    })
  })
}
