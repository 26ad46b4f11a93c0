import mysql from 'mysql2/promise'
import { ServiceError } from '../core/errors'
import type { Db, Param, RunResult } from './db'

export interface MysqlOptions {
  host: string
  port: number
  user: string
  password: string
  database: string
  connectionLimit: number
}

type Queryable = Pick<mysql.PoolConnection, 'query'>

/** Errors after which a connection is dead but the server may well be back: retry once on a fresh one. */
const RECONNECTABLE = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ER_SERVER_SHUTDOWN', 'ETIMEDOUT'])

function describeReach(o: MysqlOptions, e: unknown): ServiceError {
  const code = (e as { code?: string }).code ?? (e as Error).message
  return new ServiceError(
    `database: cannot reach MySQL at ${o.host}:${o.port} (${code}); check that it runs and that database.mysql in conf/main.conf is right`,
  )
}

/** MySQL/MariaDB through a mysql2 pool. */
export class MysqlDb implements Db {
  readonly dialect = 'mysql' as const
  readonly label: string

  private constructor(private readonly pool: mysql.Pool, private readonly options: MysqlOptions) {
    this.label = `mysql://${options.user}@${options.host}:${options.port}/${options.database}`
  }

  /** Opens the pool and proves the server answers; creates the database if the user may. */
  static async open(o: MysqlOptions): Promise<MysqlDb> {
    try {
      const admin = await mysql.createConnection({ host: o.host, port: o.port, user: o.user, password: o.password, connectTimeout: 5000 })
      await admin.query(`CREATE DATABASE IF NOT EXISTS \`${o.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
      await admin.end()
    } catch (e) {
      if ((e as { code?: string }).code === 'ER_DBACCESS_DENIED_ERROR') {
        // The user may not create databases: fine if the database already exists; the pool tells.
      } else throw describeReach(o, e)
    }
    const pool = mysql.createPool({
      host: o.host,
      port: o.port,
      user: o.user,
      password: o.password,
      database: o.database,
      connectionLimit: o.connectionLimit,
      connectTimeout: 5000,
      enableKeepAlive: true,
      supportBigNumbers: true,
      bigNumberStrings: false,
      dateStrings: true,
      charset: 'utf8mb4_unicode_ci',
    })
    // READ COMMITTED: a transaction's reads see rows other transactions committed meanwhile. Under MySQL's default
    // REPEATABLE READ, "INSERT IGNORE, then SELECT the row" inside a transaction misses a row a parallel import
    // committed after the snapshot (the insert is ignored, the select finds nothing).
    pool.on('connection', (conn) => {
      conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED')
    })
    const db = new MysqlDb(pool, o)
    try {
      await db.ping()
    } catch (e) {
      await pool.end().catch(() => {})
      throw describeReach(o, e)
    }
    return db
  }

  private async withRetry<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    try {
      return await work(this.pool)
    } catch (e) {
      const code = (e as { code?: string }).code ?? ''
      if (!RECONNECTABLE.has(code)) throw wrap(e, this.options)
      // The pool drops the dead connection; the second try gets a fresh one (the server restarted).
      try {
        return await work(this.pool)
      } catch (e2) {
        throw wrap(e2, this.options)
      }
    }
  }

  all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return this.withRetry((q) => queryAll<T>(q, sql, params))
  }

  async get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0]
  }

  run(sql: string, params: Param[] = []): Promise<RunResult> {
    return this.withRetry((q) => queryRun(q, sql, params))
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    let conn: mysql.PoolConnection
    try {
      conn = await this.pool.getConnection()
    } catch (e) {
      throw wrap(e, this.options)
    }
    try {
      await conn.beginTransaction()
      const result = await fn(new MysqlTx(conn, this.label))
      await conn.commit()
      return result
    } catch (e) {
      await conn.rollback().catch(() => {})
      throw e
    } finally {
      conn.release()
    }
  }

  async ping(): Promise<void> {
    await this.withRetry((q) => q.query('SELECT 1'))
  }

  async close(): Promise<void> {
    await this.pool.end()
  }
}

function wrap(e: unknown, o: MysqlOptions): unknown {
  const code = (e as { code?: string }).code ?? ''
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'ECONNRESET'].includes(code)) {
    return describeReach(o, e)
  }
  return e
}

async function queryAll<T>(q: Queryable, sql: string, params: Param[]): Promise<T[]> {
  const [rows] = await q.query(sql, params)
  return rows as T[]
}

async function queryRun(q: Queryable, sql: string, params: Param[]): Promise<RunResult> {
  const [res] = await q.query(sql, params)
  const header = res as mysql.ResultSetHeader
  return { changes: header.affectedRows, lastId: Number(header.insertId) }
}

class MysqlTx implements Db {
  readonly dialect = 'mysql' as const
  constructor(private readonly conn: mysql.PoolConnection, readonly label: string) {}
  all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return queryAll<T>(this.conn, sql, params)
  }
  async get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return (await queryAll<T>(this.conn, sql, params))[0]
  }
  run(sql: string, params: Param[] = []): Promise<RunResult> {
    return queryRun(this.conn, sql, params)
  }
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return fn(this)
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}
