import { NoraError } from '../core/errors'

/** The database's own words for a statement it refused (SQLite or MySQL/MariaDB), or undefined for other errors. */
export function databaseMessage(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined
  const err = e as Error & { sqlMessage?: unknown; code?: unknown }
  if (err.name === 'SQLiteError') return err.message
  if (typeof err.sqlMessage === 'string') return err.sqlMessage
  return undefined
}

/**
 * The one line (and exit code) for an error a user can act on: nora's own errors, a refused SQL statement, an
 * unreachable PACS or scheduler, a failed scheduler tool. Undefined for a bug, which keeps its stack.
 */
export function errorLine(e: unknown): { line: string; exitCode: number } | undefined {
  if (e instanceof NoraError) return { line: e.message, exitCode: e.exitCode }
  const db = databaseMessage(e)
  if (db !== undefined) return { line: `database: ${db}`, exitCode: 1 }
  return undefined
}
