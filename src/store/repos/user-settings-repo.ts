import type { Db } from '../db'

/** A user's own preferences by name (the styling theme, ...), each a short text. */
export class UserSettingsRepo {
  constructor(private readonly db: Db) {}

  async get(userId: number, name: string): Promise<string | undefined> {
    return (await this.db.get<{ value: string }>('SELECT value FROM user_settings WHERE user_id = ? AND name = ?', [userId, name]))?.value
  }

  async set(userId: number, name: string, value: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM user_settings WHERE user_id = ? AND name = ?', [userId, name])
      await tx.run('INSERT INTO user_settings (user_id, name, value) VALUES (?, ?, ?)', [userId, name, value])
    })
  }
}
