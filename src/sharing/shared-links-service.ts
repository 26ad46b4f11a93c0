import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { ForbiddenError, NotFoundError, UsageError } from '../core/errors'
import { safeJoin } from '../core/safe-path'
import type { Project, User } from '../core/types'
import type { SharedLinkRow } from '../store/repos/shared-links-repo'
import { MAX_STATE_BYTES, parseSharedState, pathsOf, SharedStateError, type SharedState } from './shared-state'

/** What the service needs of the store (src/store/repos/shared-links-repo.ts). */
export interface SharedLinksStore {
  insert(l: { id: string; projectId: number; ownerId: number; title: string; state: string }): Promise<void>
  update(id: string, l: { title: string; state: string }): Promise<void>
  byId(id: string): Promise<SharedLinkRow | undefined>
  byOwner(ownerId: number): Promise<SharedLinkRow[]>
  delete(id: string): Promise<boolean>
}

/** What it needs of the archive: the rights check by project name, and the project's folder. */
export interface SharedLinksArchive {
  open(actor: User, name: string, action: 'read'): Promise<Project>
  projectDir(project: Project): string
}

export interface SharedLink {
  id: string
  project: string
  owner: string
  title: string
  createdAt: number
  updatedAt: number
  /** The caller owns it (may overwrite and delete it). */
  mine: boolean
}

export interface SharedLinkWithState extends SharedLink {
  state: SharedState
}

/** The link's path in nora (under http.basePath, which the HTTP layer adds). */
export const sharePath = (id: string) => `/share/${encodeURIComponent(id)}`

const ID = /^[A-Za-z0-9_-]{16,32}$/

/**
 * Shared links: a user with read on a project saves the viewer's state as a link; anyone with read on the project
 * opens it; only its owner (or a site admin) overwrites or deletes it. Every path of a state is proven to be a file
 * inside the project (safe-join, symlinks followed) before the state is stored.
 */
export class SharedLinksService {
  constructor(private readonly d: { store: SharedLinksStore; archive: SharedLinksArchive }) {}

  async create(actor: User, project: string, title: string, raw: unknown): Promise<SharedLink> {
    const p = await this.readable(actor, project)
    const state = this.checked(p, raw)
    const id = randomBytes(16).toString('base64url')
    await this.d.store.insert({ id, projectId: p.id, ownerId: actor.id, title: cleanTitle(title), state: JSON.stringify(state) })
    return this.view(actor, (await this.d.store.byId(id))!)
  }

  /** Overwrites a link's state (and title): its owner or a site admin, who must still read its project. */
  async overwrite(actor: User, id: string, title: string | undefined, raw: unknown): Promise<SharedLink> {
    const row = await this.own(actor, id, 'overwrite')
    const p = await this.readable(actor, row.project)
    const state = this.checked(p, raw)
    await this.d.store.update(row.id, { title: title === undefined ? row.title : cleanTitle(title), state: JSON.stringify(state) })
    return this.view(actor, (await this.d.store.byId(row.id))!)
  }

  /** A link with its state, for anyone with read on its project. */
  async open(actor: User, id: string): Promise<SharedLinkWithState> {
    const row = await this.row(id)
    try {
      await this.d.archive.open(actor, row.project, 'read')
    } catch (e) {
      if (e instanceof ForbiddenError)
        throw new ForbiddenError(`this shared link shows data of project "${row.project}", which you (${actor.username}) may not read; ask ${row.owner} or an admin of ${row.project} for the read right`)
      throw e
    }
    return { ...this.view(actor, row), state: parseSharedState(JSON.parse(row.state)) }
  }

  /** The caller's own links, the last changed first. */
  async mine(actor: User): Promise<SharedLink[]> {
    return (await this.d.store.byOwner(actor.id)).map((r) => this.view(actor, r))
  }

  async delete(actor: User, id: string): Promise<void> {
    const row = await this.own(actor, id, 'delete')
    await this.d.store.delete(row.id)
  }

  private async row(id: string): Promise<SharedLinkRow> {
    const row = ID.test(id) ? await this.d.store.byId(id) : undefined
    if (!row) throw new NotFoundError(`no shared link "${id.slice(0, 40)}": it was deleted, or the link was cut short when it was copied`)
    return row
  }

  private async own(actor: User, id: string, what: string): Promise<SharedLinkRow> {
    const row = await this.row(id)
    if (row.ownerId !== actor.id && !actor.isSiteAdmin) throw new ForbiddenError(`only ${row.owner}, who made this shared link, may ${what} it; share your own view as a new link instead`)
    return row
  }

  private async readable(actor: User, project: string): Promise<Project> {
    try {
      return await this.d.archive.open(actor, project, 'read')
    } catch (e) {
      if (e instanceof ForbiddenError) throw new ForbiddenError(`you (${actor.username}) may not read project "${project}", so you cannot share a view of it`)
      throw e
    }
  }

  /** The state validated, and each of its paths proven to be a file inside the project. */
  private checked(project: Project, raw: unknown): SharedState {
    if (JSON.stringify(raw ?? null).length > MAX_STATE_BYTES) throw new UsageError(`the viewer state is larger than ${MAX_STATE_BYTES} bytes`)
    let state: SharedState
    try {
      state = parseSharedState(raw)
    } catch (e) {
      if (e instanceof SharedStateError) throw new UsageError(e.message)
      throw e
    }
    const root = this.d.archive.projectDir(project)
    for (const path of pathsOf(state)) {
      let file: string
      try {
        file = safeJoin(root, ...path.split('/'))
      } catch {
        throw new UsageError(`shared state: ${JSON.stringify(path.slice(0, 120))} is not a path inside project "${project.name}"`)
      }
      let isFile = false
      try {
        isFile = statSync(file).isFile()
      } catch {
        /* missing */
      }
      if (!isFile) throw new UsageError(`shared state: ${path} is not a file of project "${project.name}"; only files of the archive can be shared (save ROIs and marker sets first)`)
    }
    return state
  }

  private view(actor: User, r: SharedLinkRow): SharedLink {
    return { id: r.id, project: r.project, owner: r.owner, title: r.title, createdAt: r.createdAt, updatedAt: r.updatedAt, mine: r.ownerId === actor.id }
  }
}

function cleanTitle(title: string): string {
  // eslint-disable-next-line no-control-regex
  return title.replace(/[\0-\x1f\x7f]/g, ' ').trim().slice(0, 255)
}
