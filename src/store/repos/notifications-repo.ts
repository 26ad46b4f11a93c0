import type { Db } from '../db'

export interface NotificationRecord {
  id: number
  userId: number
  projectId: number | null
  /** batch-done, batch-error, import-done, import-failed, pull-done, pull-failed, quarantine */
  kind: string
  message: string
  link: string
  createdAt: number
  readAt: number | null
}

type Row = { id: number; user_id: number; project_id: number | null; kind: string; message: string; link: string | null; created_at: number; read_at: number | null }
const COLS = 'id, user_id, project_id, kind, message, link, created_at, read_at'
const toRecord = (r: Row): NotificationRecord => ({
  id: Number(r.id),
  userId: Number(r.user_id),
  projectId: r.project_id === null ? null : Number(r.project_id),
  kind: r.kind,
  message: r.message,
  link: r.link ?? '',
  createdAt: Number(r.created_at),
  readAt: r.read_at === null ? null : Number(r.read_at),
})

/** The notifications table: one row per user and event; read when the user marked it so. */
export class NotificationsRepo {
  constructor(private readonly db: Db) {}

  async add(n: { userId: number; projectId: number | null; kind: string; message: string; link: string }): Promise<number> {
    const r = await this.db.run('INSERT INTO notifications (user_id, project_id, kind, message, link, created_at) VALUES (?, ?, ?, ?, ?, ?)', [n.userId, n.projectId, n.kind, n.message, n.link, Date.now()])
    return r.lastId
  }

  /** A user's notifications, newest first. */
  async forUser(userId: number, opts: { unreadOnly?: boolean; limit?: number } = {}): Promise<NotificationRecord[]> {
    const rows = await this.db.all<Row>(
      `SELECT ${COLS} FROM notifications WHERE user_id = ?${opts.unreadOnly ? ' AND read_at IS NULL' : ''} ORDER BY id DESC LIMIT ?`,
      [userId, Math.max(1, Math.min(opts.limit ?? 50, 500))],
    )
    return rows.map(toRecord)
  }

  async unreadCount(userId: number): Promise<number> {
    const r = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM notifications WHERE user_id = ? AND read_at IS NULL', [userId])
    return Number(r?.n ?? 0)
  }

  /** Marks one of the user's own notifications read; false when the user has none with that id. */
  async markRead(userId: number, id: number): Promise<boolean> {
    const own = await this.db.get<{ id: number }>('SELECT id FROM notifications WHERE id = ? AND user_id = ?', [id, userId])
    if (!own) return false
    await this.db.run('UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL', [Date.now(), id, userId])
    return true
  }

  async markAllRead(userId: number): Promise<number> {
    return (await this.db.run('UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL', [Date.now(), userId])).changes
  }

  /** Who launched a batch, its name and project: whom its end is told to. */
  async batchOwner(batchId: number): Promise<{ userId: number | null; name: string; projectId: number; project: string } | undefined> {
    const r = await this.db.get<{ user_id: number | null; name: string; project_id: number; project: string }>(
      'SELECT b.user_id, b.name, b.project_id, p.name AS project FROM batches b JOIN projects p ON p.id = b.project_id WHERE b.id = ?',
      [batchId],
    )
    return r && { userId: r.user_id === null ? null : Number(r.user_id), name: String(r.name ?? ''), projectId: Number(r.project_id), project: String(r.project) }
  }

  /** The enabled site admins and the enabled admins of a project: whom a study routed to quarantine is told to. */
  async adminsOf(projectId: number | null): Promise<number[]> {
    const rows = await this.db.all<{ id: number }>(
      `SELECT id FROM users WHERE disabled = 0 AND (is_site_admin = 1 OR id IN (SELECT user_id FROM rights WHERE project_id = ? AND role = 'admin')) ORDER BY id`,
      [projectId ?? -1],
    )
    return rows.map((r) => Number(r.id))
  }
}
