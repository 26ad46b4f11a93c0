import type { Db } from '../db'

export interface SessionRow {
  userId: number
  csrfToken: string
  expiresAt: number
}

/** Sessions are looked up by the SHA-256 of the cookie value: a leaked table cannot be replayed. */
export class SessionsRepo {
  constructor(private readonly db: Db) {}

  async create(idHash: string, userId: number, csrfToken: string, expiresAt: number): Promise<void> {
    await this.db.run('INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [
      idHash,
      userId,
      csrfToken,
      Date.now(),
      expiresAt,
    ])
  }

  async find(idHash: string): Promise<SessionRow | undefined> {
    const r = await this.db.get<{ user_id: number; csrf_token: string; expires_at: number }>(
      'SELECT user_id, csrf_token, expires_at FROM sessions WHERE id_hash = ?',
      [idHash],
    )
    return r && { userId: Number(r.user_id), csrfToken: r.csrf_token, expiresAt: Number(r.expires_at) }
  }

  async delete(idHash: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE id_hash = ?', [idHash])
  }

  /** Ends every session of a user (password changed, user disabled); returns how many there were. */
  async deleteForUser(userId: number): Promise<number> {
    return (await this.db.run('DELETE FROM sessions WHERE user_id = ?', [userId])).changes
  }

  async deleteExpired(now = Date.now()): Promise<number> {
    return (await this.db.run('DELETE FROM sessions WHERE expires_at < ?', [now])).changes
  }
}
