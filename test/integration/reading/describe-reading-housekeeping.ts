// What the Reading Tool tidies by itself, on the real app and database (SQLite or a fresh MariaDB):
// - sessions: a reader who starts a reading again leaves the old session behind; `nora serve`'s hourly prune removes
//   sessions idle for a week that were superseded or never used, keeps the newest session with results (the reader
//   submits in it still), and keeps every result (progress survives: the next start continues where the reader was);
// - a project moved to the trash takes its readings' ROI folders along (data/trash/<project>/<time>-readings/<id>),
//   byte for byte, and its reading rows go; ROI folders whose reading is gone some other way are swept.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readingHousekeeping } from '../../../src/app'
import { SESSION_IDLE_MS } from '../../../src/reading/reading-housekeeping'
import { pythonJson } from '../../helpers/dicom-fixtures'
import { startApp, type Dialect, type Harness } from '../http/harness'
import { seedT1Studies } from './seed-studies'

const PW = 'long enough password 1'

/** nibabel writes the case images and a mask on their grid; numpy counts its voxels. */
const FIXTURES = `
import json, sys, numpy as np, nibabel as nib
out = sys.argv[1]
grid = (12, 10, 8)
aff = np.diag([2.0, 2.0, 3.0, 1.0])
for name in ['P1', 'P2', 'P3']:
    nib.save(nib.Nifti1Image(np.arange(np.prod(grid), dtype=np.int16).reshape(grid), aff), f'{out}/{name}-t1.nii.gz')
i, j, k = np.indices(grid)
mask = (i - 5) ** 2 + (j - 4) ** 2 <= 6
mask &= k == 3
nib.save(nib.Nifti1Image(mask.astype(np.uint8), aff), f'{out}/mask.nii.gz')
print(json.dumps({'voxels': int(np.count_nonzero(mask))}))
`

export function describeReadingHousekeeping(dialect: Dialect) {
  describe(`reading housekeeping: sessions pruned, ROI folders to the trash with their project (${dialect})`, () => {
    let h: Harness
    let dir: string
    let voxels = 0
    const tokens: Record<string, string> = {}
    const call = async (who: string, method: string, path: string, body?: unknown) => {
      const res = await h.request(path, { method, headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
      return { status: res.status, body: (res.headers.get('content-type') ?? '').includes('json') ? await res.json() : await res.text() }
    }
    type Session = { sessionId: number; next: number | null; cases: { caseKey: string; repetition: number; stage: number; done: boolean }[] }
    const start = async (who: string, project: string, id: number): Promise<Session> => {
      const r = await call(who, 'POST', `/api/projects/${project}/readings/${id}/session`, { mode: 'serious' })
      expect(r.status).toBe(200)
      return r.body
    }
    const submit = (who: string, project: string, id: number, s: Session, index: number, rois?: unknown[]) => {
      const c = s.cases[index]!
      return call(who, 'POST', `/api/projects/${project}/readings/${id}/results`, { sessionId: s.sessionId, caseKey: c.caseKey, repetition: c.repetition, stage: c.stage, mode: 'serious', values: { finding: 'yes' }, activeSeconds: 1, startedAt: Date.now() - 2_000, ...(rois ? { rois } : {}) })
    }
    const sessionIds = async (readingId: number) => (await h.services.db.all('SELECT id FROM reading_sessions WHERE reading_id = ? ORDER BY id', [readingId])).map((r) => Number(r.id))
    const readingsRoot = () => join(h.services.config.dataRoot, 'readings')

    async function project(name: string): Promise<number> {
      const root = await h.services.repos.users.byUsername('root')
      const p = await h.services.archive.createProject(root!, name)
      await seedT1Studies(h, p, ['P1', 'P2', 'P3'], dir)
      for (const [user, role] of [['ann', 'admin'], ['bob', 'read'], ['cat', 'read']] as const) await h.services.repos.rights.grant((await h.services.repos.users.byUsername(user))!.id, p.id, role)
      const created = await call('ann', 'POST', `/api/projects/${name}/readings`, {
        config: {
          name: `R_${name}`,
          mode: 'individual',
          admins: ['ann'],
          readers: ['bob', 'cat'],
          form: { type: 'basis', items: [{ type: 'radio', name: 'finding', options: ['yes', 'no'] }] },
          reading: { reading: { random: 'full' }, tools: { roi: 1 }, viewer: { sortOrder: 'patients_id', autoloaders: [{ pattern: 'anat/t1.nii.gz', viewport: 1, as: 'background', colormap: 'gray' }] } },
        },
      })
      expect(created.status).toBe(201)
      return created.body.id
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nora-reading-housekeeping-'))
      voxels = pythonJson(FIXTURES, dir).voxels
      h = await startApp(dialect, 'auth: { maxFailedLogins: 1000 }')
      await h.user('root', PW, { siteAdmin: true })
      for (const name of ['ann', 'bob', 'cat']) tokens[name] = await h.services.auth.createToken(await h.user(name, PW), 'housekeeping test')
    }, 120_000)

    afterAll(async () => {
      await h?.close()
      if (dir) rmSync(dir, { recursive: true, force: true })
    })

    test('idle sessions that were superseded or never used are pruned after a week; results and the reader\'s progress stay', async () => {
      const id = await project('hk1')
      const housekeeping = readingHousekeeping(h.services)
      const b1 = await start('bob', 'hk1', id) // abandoned: bob started again
      const b2 = await start('bob', 'hk1', id)
      expect((await submit('bob', 'hk1', id, b2, 0)).status).toBe(200) // used, then superseded
      const b3 = await start('bob', 'hk1', id) // bob's newest, never used
      const c1 = await start('cat', 'hk1', id)
      expect((await submit('cat', 'hk1', id, c1, 1)).status).toBe(200) // cat's newest, with a result
      expect(await sessionIds(id)).toEqual([b1.sessionId, b2.sessionId, b3.sessionId, c1.sessionId])

      // Nothing is idle long enough yet.
      expect(await housekeeping.prune()).toEqual({ sessions: 0, folders: 0 })
      expect((await sessionIds(id)).length).toBe(4)
      // A day short of the week: still nothing.
      expect((await housekeeping.prune(Date.now() + SESSION_IDLE_MS - 86_400_000)).sessions).toBe(0)

      // A week and a day later: bob's three go (superseded, or never used); cat's newest, with its result, stays.
      const later = Date.now() + SESSION_IDLE_MS + 86_400_000
      expect((await housekeeping.prune(later)).sessions).toBe(3)
      expect(await sessionIds(id)).toEqual([c1.sessionId])
      // The results stay, and both readers go on where they were.
      const all = (await call('ann', 'GET', `/api/projects/hk1/readings/${id}/results`)).body as { user: string }[]
      expect(all.map((r) => r.user).sort()).toEqual(['bob', 'cat'])
      expect((await submit('cat', 'hk1', id, c1, 2)).status).toBe(200)
      const stale = await submit('bob', 'hk1', id, b3, 1)
      expect(stale.status).toBe(404)
      expect(stale.body.error).toContain('start one')
      const again = await start('bob', 'hk1', id)
      expect(again.cases.filter((c) => c.done).length).toBe(1)
      expect(again.next).not.toBeNull()
      expect(again.cases[again.next!]!.done).toBe(false)
      const list = (await call('bob', 'GET', '/api/projects/hk1/readings')).body as { progress: { serious: { done: number; total: number } } }[]
      expect(list[0]!.progress.serious).toEqual({ done: 1, total: 3 })
      // A session with a result submitted within the week is not idle, however old.
      expect((await housekeeping.prune(Date.now() + SESSION_IDLE_MS - 86_400_000)).sessions).toBe(0)
    })

    test('deleting a project moves its readings\' ROI folders to the trash beside it; the rows go; orphaned folders are swept', async () => {
      const id = await project('hk2')
      const other = await project('hk3')
      const roi = { name: 'lesion', data: readFileSync(join(dir, 'mask.nii.gz')).toString('base64') }
      for (const [p, rid] of [['hk2', id], ['hk3', other]] as const) {
        const s = await start('bob', p, rid)
        const r = await submit('bob', p, rid, s, 0, [roi])
        expect(r.status).toBe(200)
      }
      const result = (await call('ann', 'GET', `/api/projects/hk2/readings/${id}/results`)).body[0] as { id: number; rois: { voxels: number }[] }
      expect(result.rois.map((r) => r.voxels)).toEqual([voxels])
      const folder = join(readingsRoot(), String(id))
      expect(readdirSync(join(folder, String(result.id)))).toEqual(['1.nii.gz'])

      const root = (await h.services.repos.users.byUsername('root'))!
      const projectTrash = await h.services.projectAdmin.trash(root, 'hk2')
      // The reading's folder left data/readings and lies beside the project's folder in the trash, byte for byte.
      expect(existsSync(folder)).toBe(false)
      const readingsTrash = projectTrash.replace(/-project$/, '-readings')
      expect(readdirSync(join(projectTrash, '..')).sort()).toEqual([projectTrash, readingsTrash].map((p) => p.split('/').pop()!).sort())
      expect(readdirSync(readingsTrash)).toEqual([String(id)])
      expect(readFileSync(join(readingsTrash, String(id), String(result.id), '1.nii.gz')).equals(readFileSync(join(dir, 'mask.nii.gz')))).toBe(true)
      // Rows: the reading, its results, sessions and ROI rows went with the project.
      for (const table of ['readings', 'reading_results', 'reading_sessions', 'reading_result_rois'])
        expect(Number((await h.services.db.get(`SELECT COUNT(*) AS n FROM ${table} WHERE ${table === 'readings' ? 'id' : 'reading_id'} = ?`, [id]))!.n)).toBe(0)
      // The other project's reading is untouched.
      expect(existsSync(join(readingsRoot(), String(other)))).toBe(true)

      // A folder whose reading is gone otherwise (left by an older nora, or a crash) goes at the next sweep; a folder
      // that is no reading's (not a number) and live readings' folders stay.
      mkdirSync(join(readingsRoot(), '987654', '1'), { recursive: true })
      writeFileSync(join(readingsRoot(), '987654', '1', '1.nii.gz'), 'x')
      mkdirSync(join(readingsRoot(), 'notes'))
      const swept = await readingHousekeeping(h.services).prune()
      expect(swept.folders).toBe(1)
      expect(readdirSync(readingsRoot()).sort()).toEqual([String(other), 'notes'].sort())
      const otherResult = (await call('ann', 'GET', `/api/projects/hk3/readings/${other}/results`)).body[0] as { rois: { url: string }[] }
      expect((await call('ann', 'GET', otherResult.rois[0]!.url)).status).toBe(200)
    })
  })
}
