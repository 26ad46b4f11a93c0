import type { Db } from '../db'

export interface SharedLinkRow {
  id: string
  projectId: number
  project: string
  ownerId: number
  owner: string
  title: string
  /** The viewer state as JSON text (validated by src/sharing before it is stored). */
  state: string
  createdAt: number
  updatedAt: number
}

type Raw = { id: string; project_id: number; project: string; owner_id: number; owner: string; title: string; state: string; created_at: number; updated_at: number }

const SELECT = `SELECT l.id, l.project_id, p.name AS project, l.owner_id, u.username AS owner, l.title, l.state, l.created_at, l.updated_at
  FROM shared_links l JOIN projects p ON p.id = l.project_id JOIN users u ON u.id = l.owner_id`

const row = (r: Raw): SharedLinkRow => ({
  id: r.id,
  projectId: Number(r.project_id),
  project: r.project,
  ownerId: Number(r.owner_id),
  owner: r.owner,
  title: r.title,
  state: r.state,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
})

/** Shared links: saved viewer states by id, with their project and owner. */
export class SharedLinksRepo {
  constructor(private readonly db: Db) {}

  async insert(l: { id: string; projectId: number; ownerId: number; title: string; state: string }, at = Date.now()): Promise<void> {
    await this.db.run('INSERT INTO shared_links (id, project_id, owner_id, title, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [l.id, l.projectId, l.ownerId, l.title, l.state, at, at])
  }

  async update(id: string, l: { title: string; state: string }, at = Date.now()): Promise<void> {
    await this.db.run('UPDATE shared_links SET title = ?, state = ?, updated_at = ? WHERE id = ?', [l.title, l.state, at, id])
  }

  async byId(id: string): Promise<SharedLinkRow | undefined> {
    const r = await this.db.get<Raw>(`${SELECT} WHERE l.id = ?`, [id])
    return r && row(r)
  }

  /** A user's links, the last changed first. */
  async byOwner(ownerId: number): Promise<SharedLinkRow[]> {
    return (await this.db.all<Raw>(`${SELECT} WHERE l.owner_id = ? ORDER BY l.updated_at DESC, l.id`, [ownerId])).map(row)
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM shared_links WHERE id = ?', [id])).changes > 0
  }
}
