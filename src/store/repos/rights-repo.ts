import type { Role } from '../../core/types'
import type { Db } from '../db'

export class RightsRepo {
  constructor(private readonly db: Db) {}

  async roleOf(userId: number, projectId: number): Promise<Role | undefined> {
    const r = await this.db.get<{ role: Role }>('SELECT role FROM rights WHERE user_id = ? AND project_id = ?', [userId, projectId])
    return r?.role
  }

  async grant(userId: number, projectId: number, role: Role): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM rights WHERE user_id = ? AND project_id = ?', [userId, projectId])
      await tx.run('INSERT INTO rights (user_id, project_id, role) VALUES (?, ?, ?)', [userId, projectId, role])
    })
  }

  async revoke(userId: number, projectId: number): Promise<boolean> {
    return (await this.db.run('DELETE FROM rights WHERE user_id = ? AND project_id = ?', [userId, projectId])).changes > 0
  }

  async forProject(projectId: number): Promise<{ username: string; role: Role }[]> {
    return this.db.all(
      'SELECT u.username AS username, r.role AS role FROM rights r JOIN users u ON u.id = r.user_id WHERE r.project_id = ? ORDER BY u.username',
      [projectId],
    )
  }

  async forUser(userId: number): Promise<{ project: string; role: Role }[]> {
    return this.db.all(
      'SELECT p.name AS project, r.role AS role FROM rights r JOIN projects p ON p.id = r.project_id WHERE r.user_id = ? ORDER BY p.name',
      [userId],
    )
  }
}
