import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Db, Param, RunResult } from './db'

type Stmt = ReturnType<Database['query']>

/**
 * bun:sqlite behind the async Db interface. One connection, WAL, foreign keys on. bun:sqlite is
 * synchronous, so a transaction holds a lock that other callers wait for: an `await` inside a
 * transaction never lets another request's statements slip into it.
 */
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const
  readonly label: string
  private lock: Promise<void> = Promise.resolve()
  private locked = false

  constructor(private readonly sqlite: Database, label: string) {
    this.label = label
  }

  static open(path: string): SqliteDb {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    const sqlite = new Database(path, { create: true, strict: true })
    sqlite.exec('PRAGMA journal_mode = WAL')
    sqlite.exec('PRAGMA foreign_keys = ON')
    sqlite.exec('PRAGMA busy_timeout = 10000')
    sqlite.exec('PRAGMA synchronous = NORMAL')
    return new SqliteDb(sqlite, path)
  }

  private stmt(sql: string): Stmt {
    return this.sqlite.query(sql)
  }

  private async idle(): Promise<void> {
    while (this.locked) await this.lock
  }

  // Each method waits with its own loop, not `await this.idle()`: returning from idle() costs another tick, in which
  // a waiting transaction could take the lock and this statement would land inside it (or BEGIN inside BEGIN).
  // Checking `locked` and acting in the same tick keeps callers out of each other's transactions.
  async all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    while (this.locked) await this.lock
    return this.stmt(sql).all(...(params as never[])) as T[]
  }

  async get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    while (this.locked) await this.lock
    return (this.stmt(sql).get(...(params as never[])) ?? undefined) as T | undefined
  }

  async run(sql: string, params: Param[] = []): Promise<RunResult> {
    while (this.locked) await this.lock
    return runOn(this.sqlite, sql, params)
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    while (this.locked) await this.lock
    let release!: () => void
    this.locked = true
    this.lock = new Promise((r) => (release = r))
    const tx = new SqliteTx(this.sqlite, this.label)
    try {
      this.sqlite.exec('BEGIN IMMEDIATE')
      const result = await fn(tx)
      this.sqlite.exec('COMMIT')
      return result
    } catch (e) {
      if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK')
      throw e
    } finally {
      this.locked = false
      release()
    }
  }

  async ping(): Promise<void> {
    this.stmt('SELECT 1').get()
  }

  async close(): Promise<void> {
    await this.idle()
    this.sqlite.close()
  }
}

function runOn(sqlite: Database, sql: string, params: Param[]): RunResult {
  const r = sqlite.query(sql).run(...(params as never[]))
  return { changes: r.changes, lastId: Number(r.lastInsertRowid) }
}

/** The handle a transaction's callback gets: runs directly, inside the lock. */
class SqliteTx implements Db {
  readonly dialect = 'sqlite' as const
  constructor(private readonly sqlite: Database, readonly label: string) {}
  async all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return this.sqlite.query(sql).all(...(params as never[])) as T[]
  }
  async get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return (this.sqlite.query(sql).get(...(params as never[])) ?? undefined) as T | undefined
  }
  async run(sql: string, params: Param[] = []): Promise<RunResult> {
    return runOn(this.sqlite, sql, params)
  }
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return fn(this) // nested: already inside one
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}
