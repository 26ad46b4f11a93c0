import mysql from 'mysql2/promise'
import type { MysqlOptions } from '../../src/store/mysql-db'

/**
 * A fresh database on the MariaDB that test/run.sh provides (127.0.0.1:3306, root, empty password by default;
 * NORA_TEST_MYSQL_HOST/PORT/USER/PASSWORD override). It never skips: if MariaDB cannot be reached the test fails
 * and says how to start it.
 */
export async function freshMysqlDatabase(prefix = 'nora_test'): Promise<{ options: MysqlOptions; drop(): Promise<void> }> {
  const base = {
    host: process.env.NORA_TEST_MYSQL_HOST ?? '127.0.0.1',
    port: Number(process.env.NORA_TEST_MYSQL_PORT ?? 3306),
    user: process.env.NORA_TEST_MYSQL_USER ?? 'root',
    password: process.env.NORA_TEST_MYSQL_PASSWORD ?? '',
  }
  const database = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  let admin: mysql.Connection
  try {
    admin = await mysql.createConnection({ ...base, connectTimeout: 5000 })
  } catch (e) {
    throw new Error(
      `MariaDB is not reachable at ${base.host}:${base.port} (${(e as Error).message}); test/run.sh starts one, or set NORA_TEST_MYSQL_*`,
    )
  }
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  await admin.end()
  return {
    options: { ...base, database, connectionLimit: 5 },
    async drop() {
      const c = await mysql.createConnection({ ...base, connectTimeout: 5000 })
      await c.query(`DROP DATABASE IF EXISTS \`${database}\``)
      await c.end()
    },
  }
}
