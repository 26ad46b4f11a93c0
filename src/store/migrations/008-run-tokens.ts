import type { Migration } from './index'

/**
 * Run tokens: what the `nora` CLI inside a batch job acts with (NORA_RUN_TOKEN). A token stands for the launching
 * user on the run's project only, is stored as its SHA-256 hash, and is valid while its run is queued or running and
 * before `expires_at`; it is deleted when the run ends. `user_id` is null for runs launched by the console (root or
 * nora's own account) or by an autoexecution queue.
 */
export const m008RunTokens: Migration = {
  id: 8,
  name: 'run-tokens',
  statements: [
    `CREATE TABLE run_tokens (
      id {pk},
      token_hash VARCHAR(64) NOT NULL UNIQUE,
      run_id BIGINT NOT NULL,
      project_id BIGINT NOT NULL,
      user_id BIGINT,
      username VARCHAR(64) NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      FOREIGN KEY (run_id) REFERENCES runs(id) ON DELETE CASCADE,
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX run_tokens_run ON run_tokens (run_id)`,
  ],
}
