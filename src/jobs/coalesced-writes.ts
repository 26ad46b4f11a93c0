import type { Db, Param, RunResult } from '../store/db'

interface Write {
  sql: string
  params: Param[]
  resolve: (r: RunResult) => void
  reject: (e: unknown) => void
}

/**
 * A Db whose writes (`run`) asked for in the same turn of the event loop reach the database in one transaction.
 * The thousands of runs of a batch record their jobs (gridjob, run token, scheduler id, state) at about the same
 * time; one commit for all of them costs about what one commit costs alone. Reads and transactions pass straight
 * through. A write resolves once committed, so its caller reads what it wrote. When one write of a group fails, each
 * is run again on its own, so that only that one fails.
 */
export class CoalescedWrites implements Db {
  private pending: Write[] = []

  constructor(private readonly db: Db) {}

  get dialect() {
    return this.db.dialect
  }

  get label() {
    return this.db.label
  }

  all<T>(sql: string, params?: Param[]): Promise<T[]> {
    return this.db.all<T>(sql, params)
  }

  get<T>(sql: string, params?: Param[]): Promise<T | undefined> {
    return this.db.get<T>(sql, params)
  }

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.db.transaction(fn)
  }

  ping(): Promise<void> {
    return this.db.ping()
  }

  async close(): Promise<void> {
    await this.flush()
  }

  run(sql: string, params: Param[] = []): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ sql, params, resolve, reject })
      if (this.pending.length === 1) setImmediate(() => void this.flush())
    })
  }

  private async flush(): Promise<void> {
    const writes = this.pending
    this.pending = []
    if (writes.length === 0) return
    if (writes.length === 1) return void this.db.run(writes[0]!.sql, writes[0]!.params).then(writes[0]!.resolve, writes[0]!.reject)
    let results: RunResult[]
    try {
      results = await this.db.transaction(async (tx) => {
        const out: RunResult[] = []
        for (const w of writes) out.push(await tx.run(w.sql, w.params))
        return out
      })
    } catch {
      for (const w of writes) await this.db.run(w.sql, w.params).then(w.resolve, w.reject)
      return
    }
    writes.forEach((w, i) => w.resolve(results[i]!))
  }
}
