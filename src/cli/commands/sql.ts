import type { Config } from '../../config/load-config'
import type { Db } from '../../store/db'
import { runAdminSql } from '../../store/sql-console'
import { has, one, type ParsedArgs } from '../args'
import { actorOf, type ActorLookup, type Out } from '../context'
import { databaseMessage } from '../error-line'

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** `nora --sql STATEMENT [--csv] [--write]`: site admins only, read-only unless --write. */
export async function sql(s: ActorLookup & { config: Pick<Config, 'main'>; db: Db }, args: ParsedArgs, io: Out): Promise<number> {
  const actor = await actorOf(s, args)
  let rows: Record<string, unknown>[]
  try {
    rows = await runAdminSql(s.db, one(args, 'sql')!, {
      write: has(args, 'write'),
      isSiteAdmin: actor.isSiteAdmin,
      sqlitePath: s.config.main.database.sqlite.path,
    })
  } catch (e) {
    // A statement the database refuses: its message on one line, as a SQL console would print it.
    const message = databaseMessage(e)
    if (message === undefined) throw e
    await io.err(`nora --sql: ${message.replace(/\s*\n\s*/g, ' ')}`)
    return 1
  }
  if (!has(args, 'csv')) {
    io.out(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)))
    return 0
  }
  const cols = rows.length ? Object.keys(rows[0]!) : []
  io.out(cols.map(csvCell).join(','))
  for (const r of rows) io.out(cols.map((c) => csvCell(r[c])).join(','))
  return 0
}
