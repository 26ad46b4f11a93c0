import type { Db } from '../db'

export interface SiteSettingRecord {
  name: string
  value: string
  updatedAt: number
  updatedBy: string
}

/** Settings a site admin changed in the admin page, by name; each overrides its conf/*.conf value. */
export class SiteSettingsRepo {
  constructor(private readonly db: Db) {}

  async all(): Promise<SiteSettingRecord[]> {
    const rows = await this.db.all<{ name: string; value: string; updated_at: number; updated_by: string }>('SELECT name, value, updated_at, updated_by FROM site_settings ORDER BY name')
    return rows.map((r) => ({ name: r.name, value: r.value, updatedAt: Number(r.updated_at), updatedBy: r.updated_by }))
  }

  async set(name: string, value: string, by: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM site_settings WHERE name = ?', [name])
      await tx.run('INSERT INTO site_settings (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?)', [name, value, Date.now(), by])
    })
  }

  async remove(name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM site_settings WHERE name = ?', [name])).changes > 0
  }
}
