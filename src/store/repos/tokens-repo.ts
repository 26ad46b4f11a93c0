import type { Db } from '../db'

export interface TokenInfo {
  id: number
  name: string
  createdAt: number
  lastUsedAt: number | null
}

/** API tokens, stored only as SHA-256 hashes of the random token. */
export class TokensRepo {
  constructor(private readonly db: Db) {}

  async create(userId: number, tokenHash: string, name: string): Promise<number> {
    return (await this.db.run('INSERT INTO api_tokens (user_id, token_hash, name, created_at) VALUES (?, ?, ?, ?)', [userId, tokenHash, name, Date.now()])).lastId
  }

  async userIdFor(tokenHash: string): Promise<number | undefined> {
    const r = await this.db.get<{ id: number; user_id: number }>('SELECT id, user_id FROM api_tokens WHERE token_hash = ?', [tokenHash])
    if (!r) return undefined
    await this.db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [Date.now(), r.id])
    return Number(r.user_id)
  }

  async list(userId: number): Promise<TokenInfo[]> {
    const rows = await this.db.all<{ id: number; name: string; created_at: number; last_used_at: number | null }>(
      'SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = ? ORDER BY id',
      [userId],
    )
    return rows.map((r) => ({ id: Number(r.id), name: r.name, createdAt: Number(r.created_at), lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at) }))
  }

  async delete(userId: number, id: number): Promise<boolean> {
    return (await this.db.run('DELETE FROM api_tokens WHERE user_id = ? AND id = ?', [userId, id])).changes > 0
  }
}
