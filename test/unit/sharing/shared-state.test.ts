import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ForbiddenError, PathError, UsageError } from '../../../src/core/errors'
import type { Project, User } from '../../../src/core/types'
import { SharedLinksService } from '../../../src/sharing/shared-links-service'
import { parseSharedState, pathsOf, projectPathProblem, SharedStateError, type SharedState } from '../../../src/sharing/shared-state'
import { SharedLinksRepo } from '../../../src/store/repos/shared-links-repo'
import { cheapHash, tempStore } from '../auth/temp-store'

const T1 = 'P1/S1/anat/t1.nii'
const FLAIR = 'P1/S1/anat/flair.nii.gz'
const ROI = 'P1/S1/rois/lesion.nii.gz'
const MARKERS = 'P1/S1/annotations/points.json'

export function validState(): SharedState {
  return {
    version: 1,
    layout: '2',
    mosaic: false,
    active: 2,
    viewports: [
      { index: 1, plane: 0, pan: [0, 0, 0, 1], crosshair: [1.5, -20, 33], items: [{ path: T1, name: 't1.nii', role: 'background', colormap: 'gray', opacity: 1, min: 10, max: 900, outline: false, hidden: false }] },
      {
        index: 2,
        plane: 1,
        pan: [3, 4, 5, 1.8],
        items: [
          { path: T1, name: 't1.nii', role: 'background', colormap: 'gray', opacity: 1, min: 0, max: 500, outline: false, hidden: false },
          { path: FLAIR, name: 'flair.nii.gz', role: 'overlay', colormap: 'hot', opacity: 0.6, min: 100, max: 300, outline: true, hidden: false },
        ],
      },
    ],
    rois: [{ path: ROI, reference: T1, name: 'lesion', colormap: 'red', opacity: 0.5, outline: false, visible: true }],
    markers: [{ path: MARKERS }],
  }
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T

describe('shared state: parsing', () => {
  test('a valid state comes back as it was; unknown fields are dropped', () => {
    const s = validState()
    expect(parseSharedState(JSON.parse(JSON.stringify({ ...s, extra: 1 })))).toEqual(s)
    expect(pathsOf(s).sort()).toEqual([FLAIR, MARKERS, ROI, T1].sort())
  })

  test('paths that leave the project, or are not paths, are refused with the field named', () => {
    const bad: [string, string][] = [
      ['../other/x.nii', '".." segment'],
      ['P1/../../etc/passwd', '".." segment'],
      ['/etc/passwd', 'absolute'],
      ['C:/x.nii', 'absolute'],
      ['P1//x.nii', 'empty segment'],
      ['P1/./x.nii', '"." segment'],
      ['P1\\..\\x', 'backslash'],
      ['P1/x\0.nii', 'NUL'],
      ['', 'empty'],
    ]
    for (const [path, why] of bad) {
      expect(projectPathProblem(path)).toContain(why)
      const s = clone(validState()) as unknown as { viewports: { items: { path: string }[] }[] }
      s.viewports[1]!.items[1]!.path = path
      expect(() => parseSharedState(s)).toThrow(SharedStateError)
      expect(() => parseSharedState(s)).toThrow('viewports[1].items[1].path')
    }
    const r = clone(validState())
    r.rois[0]!.reference = '../../x.nii'
    expect(() => parseSharedState(r)).toThrow('rois[0].reference')
  })

  test('hostile shapes: wrong types, too many entries, bad numbers and names', () => {
    const cases: [(s: Record<string, any>) => void, string][] = [
      [(s) => (s.version = 2), 'version'],
      [(s) => (s.layout = '9'), 'layout'],
      [(s) => (s.viewports = 'x'), 'viewports must be a list'],
      [(s) => (s.viewports = Array.from({ length: 5 }, () => s.viewports[0])), 'at most 4'],
      [(s) => (s.viewports[1].index = 1), 'repeats viewport 1'],
      [(s) => (s.viewports[0].pan = [0, 0, 0, Infinity]), 'pan[3]'],
      [(s) => (s.viewports[0].crosshair = [1, 2]), 'crosshair'],
      [(s) => (s.viewports[0].items[0].role = 'script'), 'role'],
      [(s) => (s.viewports[0].items[0].colormap = '<img src=x>'), 'colormap'],
      [(s) => (s.viewports[0].items[0].opacity = 2), 'opacity'],
      [(s) => (s.viewports[0].items[0].name = 'a\nb'), 'control'],
      [(s) => (s.rois = Array.from({ length: 65 }, () => s.rois[0])), 'at most 64'],
      [(s) => (s.markers = [{}]), 'markers[0].path'],
      [(s) => (s.mosaic = 'yes'), 'mosaic'],
    ]
    for (const [spoil, message] of cases) {
      const s = clone(validState()) as unknown as Record<string, any>
      spoil(s)
      expect(() => parseSharedState(s)).toThrow(message)
    }
    expect(() => parseSharedState(null)).toThrow('state must be an object')
    expect(() => parseSharedState([])).toThrow('state must be an object')
  })
})

describe('shared links service: every path proven inside the project (safe-join)', () => {
  let store: Awaited<ReturnType<typeof tempStore>>
  let root: string
  let outside: string
  let ann: User
  let bob: User
  let project: Project
  let service: SharedLinksService

  beforeAll(async () => {
    store = await tempStore()
    root = mkdtempSync(join(tmpdir(), 'nora-share-'))
    outside = mkdtempSync(join(tmpdir(), 'nora-outside-'))
    for (const f of [T1, FLAIR, ROI, MARKERS]) {
      mkdirSync(join(root, f, '..'), { recursive: true })
      writeFileSync(join(root, f), 'x')
    }
    writeFileSync(join(outside, 'secret.nii'), 'secret')
    symlinkSync(outside, join(root, 'P1', 'S1', 'escape'))
    ann = await store.repos.users.create({ username: 'ann', passwordHash: await cheapHash('pw-ann-123') })
    bob = await store.repos.users.create({ username: 'bob', passwordHash: await cheapHash('pw-bob-123') })
    project = await store.repos.projects.create('PROJ', '')
    // Ann reads PROJ; Bob reads nothing.
    const archive = {
      async open(actor: User, name: string) {
        if (name !== 'PROJ') throw new PathError(`no project ${name}`)
        if (actor.id !== ann.id) throw new ForbiddenError(`no read on ${name}`)
        return project
      },
      projectDir: () => root,
    }
    service = new SharedLinksService({ store: new SharedLinksRepo(store.db), archive })
  })
  afterAll(async () => {
    await store.close()
    rmSync(root, { recursive: true, force: true })
    rmSync(outside, { recursive: true, force: true })
  })

  test('a state of files of the project is stored and opened as it was', async () => {
    const link = await service.create(ann, 'PROJ', 'follow-up', validState())
    expect(link.id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect((await service.open(ann, link.id)).state).toEqual(validState())
  })

  test('a path through a symlink out of the project, or a missing file, is refused', async () => {
    const s = validState()
    s.viewports[0]!.items[0]!.path = 'P1/S1/escape/secret.nii'
    await expect(service.create(ann, 'PROJ', '', s)).rejects.toThrow(/not a path inside project "PROJ"/)
    const m = validState()
    m.markers[0]!.path = 'P1/S1/annotations/none.json'
    await expect(service.create(ann, 'PROJ', '', m)).rejects.toThrow(/not a file of project "PROJ"/)
    const h = clone(validState()) as unknown as { viewports: { items: { path: string }[] }[] }
    h.viewports[0]!.items[0]!.path = '../../etc/passwd'
    await expect(service.create(ann, 'PROJ', '', h)).rejects.toBeInstanceOf(UsageError)
  })

  test('without the read right: neither share nor open, with the reason', async () => {
    const link = await service.create(ann, 'PROJ', '', validState())
    await expect(service.create(bob, 'PROJ', '', validState())).rejects.toThrow(/may not read project "PROJ"/)
    await expect(service.open(bob, link.id)).rejects.toThrow(/shows data of project "PROJ", which you \(bob\) may not read; ask ann/)
    await expect(service.delete(bob, link.id)).rejects.toThrow(/only ann/)
    await expect(service.open(ann, 'nonexistent-link-id-00')).rejects.toThrow(/no shared link/)
  })
})
