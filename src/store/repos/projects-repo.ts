import type { Project } from '../../core/types'
import type { Db } from '../db'

type Row = { id: number; name: string; description: string | null; created_at: number }
const toProject = (r: Row): Project => ({ id: Number(r.id), name: r.name, description: r.description ?? '', createdAt: Number(r.created_at) })

export class ProjectsRepo {
  constructor(private readonly db: Db) {}

  async create(name: string, description = ''): Promise<Project> {
    const now = Date.now()
    const r = await this.db.run('INSERT INTO projects (name, description, settings, created_at) VALUES (?, ?, ?, ?)', [name, description, '{}', now])
    return { id: r.lastId, name, description, createdAt: now }
  }

  async byName(name: string): Promise<Project | undefined> {
    const r = await this.db.get<Row>('SELECT id, name, description, created_at FROM projects WHERE name = ?', [name])
    return r && toProject(r)
  }

  async byId(id: number): Promise<Project | undefined> {
    const r = await this.db.get<Row>('SELECT id, name, description, created_at FROM projects WHERE id = ?', [id])
    return r && toProject(r)
  }

  async list(): Promise<Project[]> {
    return (await this.db.all<Row>('SELECT id, name, description, created_at FROM projects ORDER BY name')).map(toProject)
  }

  /** Projects on which the user holds any right. */
  async listForUser(userId: number): Promise<Project[]> {
    const rows = await this.db.all<Row>(
      `SELECT p.id, p.name, p.description, p.created_at FROM projects p
       JOIN rights r ON r.project_id = p.id WHERE r.user_id = ? ORDER BY p.name`,
      [userId],
    )
    return rows.map(toProject)
  }

  async setDescription(id: number, description: string): Promise<void> {
    await this.db.run('UPDATE projects SET description = ? WHERE id = ?', [description, id])
  }

  async delete(id: number): Promise<void> {
    await this.db.run('DELETE FROM projects WHERE id = ?', [id])
  }

  async settings(id: number): Promise<Record<string, unknown>> {
    const r = await this.db.get<{ settings: string | null }>('SELECT settings FROM projects WHERE id = ?', [id])
    return r?.settings ? JSON.parse(r.settings) : {}
  }

  async saveSettings(id: number, settings: Record<string, unknown>): Promise<void> {
    await this.db.run('UPDATE projects SET settings = ? WHERE id = ?', [JSON.stringify(settings), id])
  }
}
