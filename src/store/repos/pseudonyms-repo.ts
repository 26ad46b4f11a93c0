import { insertIgnore, type Db } from '../db'

export class PseudonymsRepo {
  constructor(private readonly db: Db) {}

  async byLookup(projectId: number, lookup: string): Promise<string | undefined> {
    return (await this.db.get<{ pseudonym: string }>('SELECT pseudonym FROM pseudonyms WHERE project_id = ? AND lookup = ?', [projectId, lookup]))?.pseudonym
  }

  /** Records a pseudonym; if another import recorded one for the same patient first, that one wins and is returned. */
  async add(projectId: number, lookup: string, pseudonym: string, sealed: string): Promise<string> {
    await this.db.run(`${insertIgnore(this.db)} INTO pseudonyms (project_id, lookup, pseudonym, sealed, created_at) VALUES (?, ?, ?, ?, ?)`, [
      projectId,
      lookup,
      pseudonym,
      sealed,
      Date.now(),
    ])
    return (await this.byLookup(projectId, lookup))!
  }

  async count(projectId: number): Promise<number> {
    return Number((await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM pseudonyms WHERE project_id = ?', [projectId]))?.n ?? 0)
  }

  async all(projectId: number): Promise<{ pseudonym: string; sealed: string }[]> {
    return this.db.all('SELECT pseudonym, sealed FROM pseudonyms WHERE project_id = ? ORDER BY pseudonym', [projectId])
  }
}
