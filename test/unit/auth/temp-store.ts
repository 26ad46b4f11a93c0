import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Db } from '../../../src/store/db'
import { migrate } from '../../../src/store/migrate'
import { createRepos, type Repos } from '../../../src/store/repos'
import { SqliteDb } from '../../../src/store/sqlite-db'

/** A migrated SQLite store in a temp folder. */
export async function tempStore(): Promise<{ dir: string; path: string; db: Db; repos: Repos; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'nora-auth-'))
  const path = join(dir, 'nora.db')
  const db = SqliteDb.open(path)
  await migrate(db)
  return {
    dir,
    path,
    db,
    repos: createRepos(db),
    async close() {
      await db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A real argon2id hash with small cost parameters: for tests where the cost itself is not under test. */
export const cheapHash = (password: string) => Bun.password.hash(password, { algorithm: 'argon2id', memoryCost: 1024, timeCost: 1 })
