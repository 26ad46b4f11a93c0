/** The one database interface both dialects implement. SQL uses `?` placeholders only. */
export type Dialect = 'sqlite' | 'mysql'

export type Param = string | number | bigint | boolean | null | Uint8Array

export interface RunResult {
  changes: number
  lastId: number
}

export interface Db {
  readonly dialect: Dialect
  all<T = Record<string, unknown>>(sql: string, params?: Param[]): Promise<T[]>
  get<T = Record<string, unknown>>(sql: string, params?: Param[]): Promise<T | undefined>
  run(sql: string, params?: Param[]): Promise<RunResult>
  /** Runs `fn` in one transaction: all of its writes become visible at once, or none. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>
  ping(): Promise<void>
  close(): Promise<void>
  /** A human label for messages: the sqlite file, or mysql://host:port/db. */
  readonly label: string
}

/** Dialect-specific SQL words that both dialects need in their own spelling. */
export function insertIgnore(db: Db): string {
  return db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE'
}

/** The LIKE escape character: `!` is spelled the same in SQLite and MySQL string literals (a backslash is not). */
export const LIKE_ESCAPE = '!'
