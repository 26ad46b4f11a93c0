import type { Migration } from './index'

/**
 * PACS pulls: a pull is a durable job of many studies retrieved from one node into one project; each study has its
 * own state (pending, moving, received, imported, failed), reason, attempts and the time of its next attempt, so a
 * restarted nora resumes where it stopped.
 */
export const m004PacsPulls: Migration = {
  id: 4,
  name: 'pacs-pulls',
  statements: [
    `CREATE TABLE pulls (
      id {pk},
      project_id BIGINT NOT NULL,
      node VARCHAR(64) {bin} NOT NULL,
      user_name VARCHAR(255) NOT NULL DEFAULT '',
      state VARCHAR(16) NOT NULL DEFAULT 'running',
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX pulls_project ON pulls (project_id)`,
    `CREATE TABLE pull_studies (
      id {pk},
      pull_id BIGINT NOT NULL,
      study_uid VARCHAR(64) {bin} NOT NULL,
      patient_id VARCHAR(255) NOT NULL DEFAULT '',
      description VARCHAR(255) NOT NULL DEFAULT '',
      expected INTEGER,
      received INTEGER NOT NULL DEFAULT 0,
      state VARCHAR(16) NOT NULL DEFAULT 'pending',
      reason {text},
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at BIGINT NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      FOREIGN KEY (pull_id) REFERENCES pulls(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX pull_studies_pull ON pull_studies (pull_id)`,
    `CREATE INDEX pull_studies_due ON pull_studies (state, next_attempt_at)`,
    `CREATE INDEX pull_studies_uid ON pull_studies (study_uid)`,
  ],
}
