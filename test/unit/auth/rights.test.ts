import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Rights, roleAllows } from '../../../src/auth/rights'
import { ForbiddenError } from '../../../src/core/errors'
import type { Action, Project, Role, User } from '../../../src/core/types'
import { tempStore } from './temp-store'

let store: Awaited<ReturnType<typeof tempStore>>
let rights: Rights
let project: Project
let other: Project
const u: Record<string, User> = {}

beforeAll(async () => {
  store = await tempStore()
  rights = new Rights(store.repos)
  project = await store.repos.projects.create('study-a')
  other = await store.repos.projects.create('study-b')
  for (const name of ['reader', 'writer', 'runner', 'padmin', 'stranger', 'disabled', 'site', 'disabledsite'])
    u[name] = await store.repos.users.create({ username: name, passwordHash: null, isSiteAdmin: name.endsWith('site') })
  const grant = (name: string, role: Role) => store.repos.rights.grant(u[name]!.id, project.id, role)
  await grant('reader', 'read')
  await grant('writer', 'write')
  await grant('runner', 'jobs')
  await grant('padmin', 'admin')
  await grant('disabled', 'admin')
  for (const name of ['disabled', 'disabledsite']) {
    await store.repos.users.setDisabled(u[name]!.id, true)
    u[name] = (await store.repos.users.byId(u[name]!.id))!
  }
})
afterAll(async () => {
  await store.close()
})

const ACTIONS: Action[] = ['read', 'write', 'jobs', 'admin']
// Who may do what on study-a: the expected matrix, written out by hand.
const EXPECTED: Record<string, Action[]> = {
  reader: ['read'],
  writer: ['read', 'write'],
  runner: ['read', 'write', 'jobs'],
  padmin: ['read', 'write', 'jobs', 'admin'],
  stranger: [],
  disabled: [],
  site: ['read', 'write', 'jobs', 'admin'],
  disabledsite: [],
}

describe('Rights.can', () => {
  for (const [name, allowed] of Object.entries(EXPECTED)) {
    test(`${name} may ${allowed.join(', ') || 'nothing'} on the project`, async () => {
      for (const action of ACTIONS) expect([action, await rights.can(u[name]!, action, project)]).toEqual([action, allowed.includes(action)])
    })
  }

  test('a role on one project gives nothing on another', async () => {
    for (const name of ['reader', 'writer', 'padmin']) for (const action of ACTIONS) expect(await rights.can(u[name]!, action, other)).toBe(false)
    expect(await rights.can(u.site!, 'admin', other)).toBe(true)
  })

  test('require throws ForbiddenError that names user, action and project and how to fix it', async () => {
    await rights.require(u.writer!, 'write', project)
    const e = await rights.require(u.reader!, 'write', project).then(
      () => undefined,
      (x: unknown) => x as ForbiddenError,
    )
    expect(e).toBeInstanceOf(ForbiddenError)
    expect(e!.status).toBe(403)
    expect(e!.message).toContain('"reader"')
    expect(e!.message).toContain('"study-a"')
    expect(e!.message).toContain('nora --admin grant reader study-a write')
  })

  test('roleAllows: a role allows itself and everything below it', () => {
    const plain = { ...u.stranger! }
    expect(roleAllows(plain, 'read', 'write')).toBe(false)
    expect(roleAllows(plain, 'write', 'read')).toBe(true)
    expect(roleAllows(plain, 'admin', 'admin')).toBe(true)
    expect(roleAllows(plain, undefined, 'read')).toBe(false)
  })
})

describe('a run token\'s scoped user', () => {
  test('acts on its one project at its role only: a site admin scoped to write may read and write study-a, nothing more, nothing on study-b', async () => {
    const scoped: User = { ...u.site!, isSiteAdmin: false, scope: { projectId: project.id, role: 'write' } }
    for (const action of ACTIONS) expect([action, await rights.can(scoped, action, project)]).toEqual([action, action === 'read' || action === 'write'])
    for (const action of ACTIONS) expect(await rights.can(scoped, action, other)).toBe(false)
    expect((await rights.visibleProjects(scoped)).map((p) => p.name)).toEqual(['study-a'])
    const e = await rights.require(scoped, 'write', other).then(
      () => undefined,
      (x: unknown) => x as ForbiddenError,
    )
    expect(e?.message).toContain("a job's run token reads and writes its own project only")
  })

  test('write without jobs is told how to get it', async () => {
    const e = await rights.require(u.writer!, 'jobs', project).then(
      () => undefined,
      (x: unknown) => x as ForbiddenError,
    )
    expect(e?.message).toContain('may not run jobs on project "study-a"')
    expect(e?.message).toContain('nora --admin grant writer study-a jobs')
  })
})

describe('visibleProjects', () => {
  test('users see the projects they hold a right on; site admins all; disabled users none', async () => {
    const names = async (name: string) => (await rights.visibleProjects(u[name]!)).map((p) => p.name)
    expect(await names('reader')).toEqual(['study-a'])
    expect(await names('stranger')).toEqual([])
    expect(await names('site')).toEqual(['study-a', 'study-b'])
    expect(await names('disabled')).toEqual([])
    expect(await names('disabledsite')).toEqual([])
  })
})
