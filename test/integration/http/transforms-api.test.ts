// The Navigation tool's APPLY, POST /api/projects/:p/transforms, on the real app (SQLite): the write right, paths
// inside the project and checked names; the header written in place (nibabel: M · A, voxels untouched, history kept
// in the sidecar); a WORLD resampling against scipy.ndimage.affine_transform; results registered in the archive.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { User } from '../../../src/core/types'
import { startApp, type Harness } from './harness'
import { pythonJson } from '../../helpers/dicom-fixtures'

const PW = 'long enough password 1'

const MAKE = `
import sys, json, numpy as np, nibabel as nib
aff = np.array([[1.5, 0, 0, -20], [0, 1.2, 0.3, -18], [0, -0.2, 2.0, -12], [0, 0, 0, 1]])
i, j, k = np.meshgrid(np.arange(24), np.arange(20), np.arange(12), indexing='ij')
img = (0.5 + 0.3 * np.sin(i / 3.0) * np.cos(j / 4.0) + 0.1 * np.cos(k / 3.0)).astype(np.float32)
nib.save(nib.Nifti1Image(img, aff), sys.argv[1])
print(json.dumps({'affine': aff.tolist()}))
`

const CHECK_HEADER = `
import sys, json, numpy as np, nibabel as nib
src, out = np.array(json.loads(sys.argv[3])), nib.load(sys.argv[2])
M = np.array(json.loads(sys.argv[4])).reshape(4, 4)
print(json.dumps({'err': float(np.max(np.abs(out.affine - M @ src))), 'sform_code': int(out.get_sform(coded=True)[1]),
  'same': bool(np.array_equal(np.asanyarray(nib.load(sys.argv[1]).dataobj), np.asanyarray(out.dataobj)))}))
`

// out[ijk] = src(inv(M·A) · G · ijk): scipy.ndimage.affine_transform, order 1, compared where the point is inside
const CHECK_WORLD = `
import sys, json, numpy as np, nibabel as nib
from scipy.ndimage import affine_transform
src, out = nib.load(sys.argv[1]), nib.load(sys.argv[2])
M = np.array(json.loads(sys.argv[3])).reshape(4, 4)
T = np.linalg.inv(M @ src.affine) @ out.affine
data = np.asanyarray(src.dataobj).astype(np.float64)
ref = affine_transform(data, T[:3, :3], offset=T[:3, 3], output_shape=out.shape, order=1, mode='nearest')
ijk = np.stack(np.meshgrid(*[np.arange(n) for n in out.shape], indexing='ij'), -1)
pts = ijk @ T[:3, :3].T + T[:3, 3]
inside = np.all((pts >= 0) & (pts <= np.array(data.shape) - 1), -1)
got = np.asanyarray(out.dataobj)
print(json.dumps({'err': float(np.max(np.abs(got[inside] - ref[inside]))), 'inside': int(inside.sum()), 'zooms': [float(z) for z in out.header.get_zooms()],
  'axis_aligned': bool(np.allclose(out.affine[:3, :3], np.diag(out.header.get_zooms())))}))
`

// 20° about z and a shift: M (row-major)
const a = (20 * Math.PI) / 180
const M = [Math.cos(a), -Math.sin(a), 0, 4, Math.sin(a), Math.cos(a), 0, -2, 0, 0, 1, 1.5, 0, 0, 0, 1]

describe('POST /api/projects/:p/transforms', () => {
  let h: Harness
  let root: string
  let admin: User
  let A: number[][]
  const tokens: Record<string, string> = {}
  const post = (body: unknown, who = 'alice', project = 'scans') =>
    h.request(`/api/projects/${project}/transforms`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` } })

  beforeAll(async () => {
    h = await startApp('sqlite', 'auth: { maxFailedLogins: 1000 }')
    admin = await h.user('root-admin', PW, { siteAdmin: true })
    const scans = await h.services.archive.createProject(admin, 'scans')
    for (const [name, right] of [['alice', 'write'], ['bob', 'read'], ['carol', undefined]] as const) {
      const u = await h.user(name, PW)
      if (right) await h.services.repos.rights.grant(u.id, scans.id, right)
      tokens[name] = await h.services.auth.createToken(u, 'transforms test')
    }
    root = h.services.archive.projectDir(scans)
    mkdirSync(join(root, 'P1/S1/anat'), { recursive: true })
    A = pythonJson(MAKE, join(root, 'P1/S1/anat/t1.nii.gz')).affine
    pythonJson(MAKE, join(root, 'P1/S1/anat/t1b.nii.gz'))
    await h.services.archive.addFiles(admin, 'scans', [join(root, 'P1/S1/anat/t1.nii.gz'), join(root, 'P1/S1/anat/t1b.nii.gz')])
  }, 120_000)

  afterAll(async () => {
    await h?.close()
  })

  test('refuses without the write right, outside the project and with bad names; nothing is written', async () => {
    expect((await post({ image: 'P1/S1/anat/t1.nii.gz', matrix: M, target: 'new' }, 'bob')).status).toBe(403)
    expect([403, 404]).toContain((await post({ image: 'P1/S1/anat/t1.nii.gz', matrix: M, target: 'new' }, 'carol')).status)
    expect((await post({ image: 'P1/S1/../../../etc/passwd', matrix: M, target: 'new' })).status).toBe(400)
    expect((await post({ image: 'P1/S1/anat/t1.nii.gz', matrix: M, target: 'new', name: '../evil.nii.gz' })).status).toBe(400)
    expect((await post({ image: 'P1/S1/anat/t1.nii.gz', matrix: M, target: 'new', name: 'x.txt' })).status).toBe(400)
    expect((await post({ image: 'P1/S1/anat/t1.nii.gz', matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1], target: 'new' })).status).toBe(400)
    expect((await post({ image: 'P1/S1/anat/missing.nii.gz', matrix: M, target: 'new' })).status).toBe(404)
    expect(existsSync(join(root, 'P1/S1/anat/t1_moved.nii.gz'))).toBe(false)
  })

  test('same file: the header takes M · A (nibabel), voxels untouched; applied twice, the sidecar keeps the history', async () => {
    const res = await post({ image: 'P1/S1/anat/t1b.nii.gz', matrix: M, target: 'same' })
    expect(res.status).toBe(201)
    const body = (await res.json()) as { path: string; sidecar: string; mode: string; url: string }
    expect(body).toMatchObject({ path: 'P1/S1/anat/t1b.nii.gz', sidecar: 'P1/S1/anat/t1b.transform.json', mode: 'header' })
    const fresh = join(root, 'P1/S1/anat/t1.nii.gz') // the same voxels, untouched
    const r = pythonJson(CHECK_HEADER, fresh, join(root, 'P1/S1/anat/t1b.nii.gz'), JSON.stringify(A), JSON.stringify(M))
    expect(r.err).toBeLessThan(1e-4)
    expect(r.same).toBe(true)
    expect((await post({ image: 'P1/S1/anat/t1b.nii.gz', matrix: M, target: 'same' })).status).toBe(201)
    const side = JSON.parse(readFileSync(join(root, 'P1/S1/anat/t1b.transform.json'), 'utf8'))
    expect(side).toMatchObject({ source: 'P1/S1/anat/t1b.nii.gz', mode: 'header', user: 'alice', tool: 'nora Navigation tool' })
    expect(side.history.length).toBe(1)
    const M2 = [0, 1, 2, 3].flatMap((i) => [0, 1, 2, 3].map((j) => [0, 1, 2, 3].reduce((s, k) => s + M[i * 4 + k]! * M[k * 4 + j]!, 0)))
    expect(pythonJson(CHECK_HEADER, fresh, join(root, 'P1/S1/anat/t1b.nii.gz'), JSON.stringify(A), JSON.stringify(M2)).err).toBeLessThan(1e-4)
  })

  test('WORLD at 1.25 mm: resampled like scipy.ndimage.affine_transform, registered with its sidecar', async () => {
    const res = await post({ image: 'P1/S1/anat/t1.nii.gz', matrix: M, target: 'new', name: 't1_world.nii.gz', grid: { kind: 'world', voxel: 1.25, grids: [] } })
    expect(res.status).toBe(201)
    const body = (await res.json()) as { path: string; mode: string; interpolation: string }
    expect(body).toMatchObject({ path: 'P1/S1/anat/t1_world.nii.gz', mode: 'resampled', interpolation: 'linear' })
    const r = pythonJson(CHECK_WORLD, join(root, 'P1/S1/anat/t1.nii.gz'), join(root, 'P1/S1/anat/t1_world.nii.gz'), JSON.stringify(M))
    expect(r.axis_aligned).toBe(true)
    expect(r.zooms).toEqual([1.25, 1.25, 1.25])
    expect(r.inside).toBeGreaterThan(1000)
    expect(r.err).toBeLessThan(1e-4)
    const found: string[] = []
    for await (const page of h.services.archive.select(admin, 'scans', 'anat/t1_world*')) found.push(...page.map((f) => f.relative))
    expect(found.sort()).toEqual(['P1/S1/anat/t1_world.nii.gz', 'P1/S1/anat/t1_world.transform.json'])
  })
  test('pair of sets: the field takes each fixed keypoint exactly to its moving one (LPS in the file), the image warped like map_coordinates', async () => {
    const vox = [[5, 5, 5], [15, 10, 6], [10, 15, 3]]
    const fixed = vox.map((v) => [0, 1, 2].map((r) => A[r]![0]! * v[0]! + A[r]![1]! * v[1]! + A[r]![2]! * v[2]! + A[r]![3]!))
    const moving = fixed.map((p, i) => [p[0]! + [2, -1, 0][i]!, p[1]! + [0, 1.5, -1][i]!, p[2]! + [1, 0, 0.5][i]!])
    const res = await post({ image: 'P1/S1/anat/t1.nii.gz', target: 'new', name: 't1_pairs.nii.gz', warp: { pairs: [{ moving, fixed, sigma: 6 }] } })
    expect(res.status).toBe(201)
    expect(((await res.json()) as { field: string }).field).toBe('P1/S1/anat/t1_pairs_warp.nii.gz')
    const r = pythonJson(
      `
import sys, json, numpy as np, nibabel as nib
from scipy.ndimage import map_coordinates
src, out, fld = nib.load(sys.argv[1]), nib.load(sys.argv[2]), nib.load(sys.argv[3])
vox, fixed, moving = [np.array(json.loads(a)) for a in sys.argv[4:7]]
u = np.asanyarray(fld.dataobj)[:, :, :, 0, :] * np.array([-1, -1, 1])
at = np.array([u[tuple(v)] for v in vox])
ijk = np.stack(np.meshgrid(*[np.arange(n) for n in out.shape], indexing='ij'), -1).reshape(-1, 3)
x = nib.affines.apply_affine(out.affine, ijk) + u.reshape(-1, 3)
pts = nib.affines.apply_affine(np.linalg.inv(src.affine), x)
inside = np.all((pts >= 0) & (pts <= np.array(src.shape) - 1), 1)
ref = map_coordinates(np.asanyarray(src.dataobj).astype(np.float64), pts.T, order=1)
got = np.asanyarray(out.dataobj).reshape(-1)
print(json.dumps({'key_err': float(np.max(np.abs(at - (moving - fixed)))), 'warp_err': float(np.max(np.abs(got[inside] - ref[inside]))), 'inside': int(inside.sum())}))
`,
      join(root, 'P1/S1/anat/t1.nii.gz'),
      join(root, 'P1/S1/anat/t1_pairs.nii.gz'),
      join(root, 'P1/S1/anat/t1_pairs_warp.nii.gz'),
      JSON.stringify(vox),
      JSON.stringify(fixed),
      JSON.stringify(moving),
    )
    expect(r.key_err).toBeLessThan(1e-4)
    expect(r.inside).toBeGreaterThan(1000)
    expect(r.warp_err).toBeLessThan(1e-4)
  })
})
