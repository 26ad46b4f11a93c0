import type { Db } from '../db'

export interface AutoloaderRow {
  name: string
  active: boolean
  /** The preset's items as stored (JSON text, validated by the service before it is written). */
  items: string
}

/** Autoloader presets of a project. */
export class AutoloadersRepo {
  constructor(private readonly db: Db) {}

  async list(projectId: number): Promise<AutoloaderRow[]> {
    const rows = await this.db.all<{ name: string; active: number; items: string }>('SELECT name, active, items FROM autoloaders WHERE project_id = ? ORDER BY name', [projectId])
    return rows.map((r) => ({ name: r.name, active: Number(r.active) === 1, items: r.items }))
  }

  /** Replaces all presets of a project at once. */
  async replace(projectId: number, presets: AutoloaderRow[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM autoloaders WHERE project_id = ?', [projectId])
      for (const p of presets)
        await tx.run('INSERT INTO autoloaders (project_id, name, active, items, updated_at) VALUES (?, ?, ?, ?, ?)', [projectId, p.name, p.active ? 1 : 0, p.items, Date.now()])
    })
  }
}
