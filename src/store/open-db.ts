import type { MainConf } from '../config/main-conf'
import type { Db } from './db'
import { SqliteDb } from './sqlite-db'

/** Opens the database main.conf names. */
export async function openDb(database: MainConf['database']): Promise<Db> {
  // mysql2 is loaded only for a MySQL/MariaDB database (it costs every SQLite command its start-up otherwise).
  if (database.dialect === 'mysql') return (await import('./mysql-db')).MysqlDb.open(database.mysql)
  return SqliteDb.open(database.sqlite.path)
}
