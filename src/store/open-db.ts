import type { MainConf } from '../config/main-conf'
import type { Db } from './db'
import { MysqlDb } from './mysql-db'
import { SqliteDb } from './sqlite-db'

/** Opens the database main.conf names. */
export async function openDb(database: MainConf['database']): Promise<Db> {
  if (database.dialect === 'mysql') return MysqlDb.open(database.mysql)
  return SqliteDb.open(database.sqlite.path)
}
