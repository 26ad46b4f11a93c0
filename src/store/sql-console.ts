import { Database } from 'bun:sqlite'
import { ForbiddenError, UsageError } from '../core/errors'
import type { Db } from './db'

const READING = /^\s*(select|with|show|explain|describe|desc|pragma\s+\w+\s*$)\b/i

/** One statement only: a `;` may end it, nothing may follow. Quotes and comments are skipped when looking. */
function checkSingleStatement(sql: string): string {
  let inQuote: string | null = null
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!
    if (inQuote) {
      if (c === inQuote) inQuote = null
      else if (c === '\\') i++
    } else if (c === "'" || c === '"' || c === '`') inQuote = c
    else if (c === ';') {
      if (sql.slice(i + 1).trim()) throw new UsageError('--sql runs one statement at a time; split the statements')
      return sql.slice(0, i)
    }
  }
  return sql
}

/**
 * `nora --sql`: a site admin's direct look into the store. Read-only unless `write` is set: the statement must
 * read, and it runs on a read-only connection (SQLite) or in a READ ONLY transaction (MySQL).
 */
export async function runAdminSql(db: Db, sql: string, opts: { write: boolean; isSiteAdmin: boolean; sqlitePath?: string }): Promise<Record<string, unknown>[]> {
  if (!opts.isSiteAdmin) throw new ForbiddenError('--sql is for site admins only')
  const statement = checkSingleStatement(sql)
  if (!statement.trim()) throw new UsageError('--sql needs a statement')
  if (!opts.write && !READING.test(statement))
    throw new ForbiddenError('--sql is read-only: this statement would write; add --write if you mean it')
  if (opts.write) {
    if (READING.test(statement)) return db.all(statement)
    const r = await db.run(statement)
    return [{ changes: r.changes, lastId: r.lastId }]
  }
  if (db.dialect === 'sqlite') {
    const ro = new Database(opts.sqlitePath!, { readonly: true })
    try {
      return ro.query(statement).all() as Record<string, unknown>[]
    } finally {
      ro.close()
    }
  }
  return db.transaction(async (tx) => {
    // Applies to the next transaction on this connection, which is this one's successor; MySQL needs it before START.
    await tx.run('ROLLBACK')
    await tx.run('START TRANSACTION READ ONLY')
    try {
      return await tx.all<Record<string, unknown>>(statement)
    } finally {
      await tx.run('ROLLBACK')
    }
  })
}
