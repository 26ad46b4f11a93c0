import type { Migration } from './index'

/**
 * The batch list: batches saved per project by name (the JSON `--launchfile` reads). `autoexec` = 1 marks the
 * project's default autoexecution queue (at most one per project), launched on each study an import brings in.
 * Also indexes for Gridstats: jobs of a project, newest first, and by submission time.
 */
export const m005BatchLibrary: Migration = {
  id: 5,
  name: 'batch-library',
  statements: [
    `CREATE TABLE batch_library (
      id {pk},
      project_id BIGINT NOT NULL,
      name VARCHAR(128) {bin} NOT NULL,
      spec {longtext} NOT NULL,
      autoexec INTEGER NOT NULL DEFAULT 0,
      user_id BIGINT,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE UNIQUE INDEX batch_library_name ON batch_library (project_id, name)`,
    `CREATE INDEX gridjobs_project ON gridjobs (project_id, id)`,
    `CREATE INDEX gridjobs_submitted ON gridjobs (submitted_at)`,
  ],
}
