import type { Services } from '../../app'
import { runAdminSql } from '../../store/sql-console'
import { has, one, type ParsedArgs } from '../args'
import { actorOf, type Out } from '../context'

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** `nora --sql STATEMENT [--csv] [--write]`: site admins only, read-only unless --write. */
export async function sql(s: Services, args: ParsedArgs, io: Out): Promise<number> {
  const actor = await actorOf(s, args)
  const rows = await runAdminSql(s.db, one(args, 'sql')!, {
    write: has(args, 'write'),
    isSiteAdmin: actor.isSiteAdmin,
    sqlitePath: s.config.main.database.sqlite.path,
  })
  if (!has(args, 'csv')) {
    io.out(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)))
    return 0
  }
  const cols = rows.length ? Object.keys(rows[0]!) : []
  io.out(cols.map(csvCell).join(','))
  for (const r of rows) io.out(cols.map((c) => csvCell(r[c])).join(','))
  return 0
}
