import type { Db } from '../db'

/**
 * Failed login attempts by subject ("user:NAME", "addr:IP" or "pair:IP NAME"), kept in the store so restarts do not
 * reset limits.
 */
export class LoginFailuresRepo {
  constructor(private readonly db: Db) {}

  async record(subjects: string[], at = Date.now()): Promise<void> {
    for (const s of subjects) await this.db.run('INSERT INTO login_failures (subject, at) VALUES (?, ?)', [s, at])
  }

  async countSince(subject: string, since: number): Promise<number> {
    const r = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM login_failures WHERE subject = ? AND at >= ?', [subject, since])
    return Number(r?.n ?? 0)
  }

  async clear(subject: string): Promise<void> {
    await this.db.run('DELETE FROM login_failures WHERE subject = ?', [subject])
  }

  async prune(before: number): Promise<number> {
    return (await this.db.run('DELETE FROM login_failures WHERE at < ?', [before])).changes
  }
}
