import type { Db } from './db'
import { migrations as all, renderStatement, type Migration } from './migrations'

/**
 * Applies the numbered migrations that are not yet recorded in schema_migrations. MySQL commits DDL
 * implicitly, so each statement is recorded as it lands, and a half-run migration resumes where it stopped.
 */
export async function migrate(db: Db, migrations: Migration[] = all): Promise<{ applied: number[] }> {
  await db.run(
    renderStatement(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        id INTEGER NOT NULL,
        step INTEGER NOT NULL,
        name VARCHAR(128) NOT NULL,
        applied_at BIGINT NOT NULL,
        PRIMARY KEY (id, step)
      ) {table}`,
      db.dialect,
    ),
  )
  const done = new Set(
    (await db.all<{ id: number; step: number }>('SELECT id, step FROM schema_migrations')).map((r) => `${r.id}.${r.step}`),
  )
  const applied: number[] = []
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    let ran = false
    for (const [step, sql] of m.statements.entries()) {
      if (done.has(`${m.id}.${step}`)) continue
      await db.run(renderStatement(sql, db.dialect))
      await db.run('INSERT INTO schema_migrations (id, step, name, applied_at) VALUES (?, ?, ?, ?)', [m.id, step, m.name, Date.now()])
      ran = true
    }
    if (ran) applied.push(m.id)
  }
  return { applied }
}

export async function schemaVersion(db: Db): Promise<number> {
  const row = await db.get<{ v: number | null }>('SELECT MAX(id) AS v FROM schema_migrations')
  return Number(row?.v ?? 0)
}
