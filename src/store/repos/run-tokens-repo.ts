import type { Db } from '../db'

export interface RunTokenRow {
  runId: number
  projectId: number
  userId: number | null
  username: string
  psid: string
  batchId: number
}

/** Run tokens (migration 008), stored only as SHA-256 hashes. A token counts only while its run is open. */
export class RunTokensRepo {
  constructor(private readonly db: Db) {}

  async create(tokenHash: string, runId: number, projectId: number, userId: number | null, username: string, expiresAt: number): Promise<void> {
    await this.db.run('INSERT INTO run_tokens (token_hash, run_id, project_id, user_id, username, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      tokenHash,
      runId,
      projectId,
      userId,
      username,
      Date.now(),
      expiresAt,
    ])
  }

  /** The token's run, when the token exists, has not expired and its run is queued or running. */
  async valid(tokenHash: string, now = Date.now()): Promise<RunTokenRow | undefined> {
    const r = await this.db.get<{ run_id: number; project_id: number; user_id: number | null; username: string; psid: string; batch_id: number }>(
      `SELECT t.run_id, t.project_id, t.user_id, t.username, r.psid, r.batch_id FROM run_tokens t JOIN runs r ON r.id = t.run_id
       WHERE t.token_hash = ? AND t.expires_at > ? AND r.state IN ('queued', 'running') AND r.project_id = t.project_id`,
      [tokenHash, now],
    )
    if (!r) return undefined
    return { runId: Number(r.run_id), projectId: Number(r.project_id), userId: r.user_id === null ? null : Number(r.user_id), username: r.username, psid: r.psid, batchId: Number(r.batch_id) }
  }

  /** Deletes the tokens of a run (its end). */
  async revokeRun(runId: number): Promise<number> {
    return (await this.db.run('DELETE FROM run_tokens WHERE run_id = ?', [runId])).changes
  }

  /** Deletes the tokens of every run of a batch (the batch ended). */
  async revokeBatch(batchId: number): Promise<number> {
    return (await this.db.run('DELETE FROM run_tokens WHERE run_id IN (SELECT id FROM runs WHERE batch_id = ?)', [batchId])).changes
  }

  /** Deletes expired tokens and those of ended runs. */
  async prune(now = Date.now()): Promise<number> {
    return (await this.db.run(`DELETE FROM run_tokens WHERE expires_at <= ? OR run_id IN (SELECT id FROM runs WHERE state NOT IN ('queued', 'running'))`, [now])).changes
  }
}
