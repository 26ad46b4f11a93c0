import type { Db } from '../db'

export interface AuditEntry {
  at: number
  actorId: number | null
  actor: string
  action: string
  subject: string
  detail: string
}

/** The audit log: acts worth answering for later (a site admin acting as another user). Never holds a secret. */
export class AuditRepo {
  constructor(private readonly db: Db) {}

  async record(e: Omit<AuditEntry, 'at'>, at = Date.now()): Promise<void> {
    await this.db.run('INSERT INTO audit_log (at, actor_id, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?, ?)', [at, e.actorId, e.actor, e.action, e.subject, e.detail])
  }

  /** The newest entries first. */
  async recent(limit = 100): Promise<AuditEntry[]> {
    const rows = await this.db.all<{ at: number; actor_id: number | null; actor: string; action: string; subject: string; detail: string | null }>(
      'SELECT at, actor_id, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT ?',
      [limit],
    )
    return rows.map((r) => ({ at: Number(r.at), actorId: r.actor_id === null ? null : Number(r.actor_id), actor: r.actor, action: r.action, subject: r.subject, detail: r.detail ?? '' }))
  }
}
