import type { Migration } from './index'

/**
 * Batches and their runs. A batch (the launched JSON, its jobs) runs once per selected study: one `runs` row each.
 * Each job of a run is a `commands` row (position = its place in the batch, run_id = its run); each execution of a
 * command is a `gridjobs` row (external_id = the process id for the local executor, runner = the nora process that
 * owns it, so another nora can tell a job whose owner is gone).
 */
export const m003Jobs: Migration = {
  id: 3,
  name: 'jobs',
  statements: [
    `CREATE TABLE batches (
      id {pk},
      project_id BIGINT NOT NULL,
      user_id BIGINT,
      name VARCHAR(255) NOT NULL DEFAULT '',
      level VARCHAR(16) NOT NULL DEFAULT 'study',
      spec {longtext} NOT NULL,
      state VARCHAR(16) NOT NULL DEFAULT 'queued',
      runner VARCHAR(128) NOT NULL DEFAULT '',
      created_at BIGINT NOT NULL,
      finished_at BIGINT,
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE TABLE runs (
      id {pk},
      batch_id BIGINT NOT NULL,
      project_id BIGINT NOT NULL,
      subject_id BIGINT,
      study_id BIGINT,
      psid VARCHAR(255) {bin} NOT NULL,
      state VARCHAR(16) NOT NULL DEFAULT 'queued',
      reason {text},
      created_at BIGINT NOT NULL,
      finished_at BIGINT,
      FOREIGN KEY (batch_id) REFERENCES batches(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX runs_batch ON runs (batch_id)`,
    `ALTER TABLE commands ADD COLUMN run_id BIGINT`,
    `CREATE INDEX commands_run ON commands (run_id)`,
    `ALTER TABLE gridjobs ADD COLUMN runner VARCHAR(128) NOT NULL DEFAULT ''`,
    `CREATE INDEX gridjobs_command ON gridjobs (command_id)`,
  ],
}
