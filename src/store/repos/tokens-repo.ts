import type { Db } from '../db'

export interface TokenInfo {
  id: number
  name: string
  createdAt: number
  lastUsedAt: number | null
  /** When the token stops working (ms); null: never. */
  expiresAt: number | null
}

const nullable = (v: number | null) => (v === null ? null : Number(v))

/** API tokens, stored only as SHA-256 hashes of the random token. */
export class TokensRepo {
  constructor(private readonly db: Db) {}

  async create(userId: number, tokenHash: string, name: string, expiresAt: number | null = null): Promise<number> {
    return (
      await this.db.run('INSERT INTO api_tokens (user_id, token_hash, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [userId, tokenHash, name, Date.now(), expiresAt])
    ).lastId
  }

  /** The token's user, when the token exists and has not expired; records its use (at most once a minute). */
  async userIdFor(tokenHash: string, now = Date.now()): Promise<number | undefined> {
    const r = await this.db.get<{ id: number; user_id: number; last_used_at: number | null }>(
      'SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = ? AND (expires_at IS NULL OR expires_at > ?)',
      [tokenHash, now],
    )
    if (!r) return undefined
    if (r.last_used_at === null || now - Number(r.last_used_at) > 60_000) await this.db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [now, r.id])
    return Number(r.user_id)
  }

  /** When a token that exists expired (undefined: no such token, or it never expires). */
  async expiredAt(tokenHash: string): Promise<number | undefined> {
    const r = await this.db.get<{ expires_at: number | null }>('SELECT expires_at FROM api_tokens WHERE token_hash = ?', [tokenHash])
    return r?.expires_at == null ? undefined : Number(r.expires_at)
  }

  async list(userId: number): Promise<TokenInfo[]> {
    const rows = await this.db.all<{ id: number; name: string; created_at: number; last_used_at: number | null; expires_at: number | null }>(
      'SELECT id, name, created_at, last_used_at, expires_at FROM api_tokens WHERE user_id = ? ORDER BY id',
      [userId],
    )
    return rows.map((r) => ({ id: Number(r.id), name: r.name, createdAt: Number(r.created_at), lastUsedAt: nullable(r.last_used_at), expiresAt: nullable(r.expires_at) }))
  }

  /** The owner of token `id`, if there is such a token. */
  async ownerOf(id: number): Promise<{ userId: number; name: string } | undefined> {
    const r = await this.db.get<{ user_id: number; name: string }>('SELECT user_id, name FROM api_tokens WHERE id = ?', [id])
    return r && { userId: Number(r.user_id), name: r.name }
  }

  async delete(userId: number, id: number): Promise<boolean> {
    return (await this.db.run('DELETE FROM api_tokens WHERE user_id = ? AND id = ?', [userId, id])).changes > 0
  }

  /** Deletes every token of a user; returns how many there were. */
  async deleteForUser(userId: number): Promise<number> {
    return (await this.db.run('DELETE FROM api_tokens WHERE user_id = ?', [userId])).changes
  }

  /** Deletes tokens that expired before `before` (they no longer work; kept a while so that `tokens USER` shows why). */
  async pruneExpired(before: number): Promise<number> {
    return (await this.db.run('DELETE FROM api_tokens WHERE expires_at IS NOT NULL AND expires_at < ?', [before])).changes
  }
}
