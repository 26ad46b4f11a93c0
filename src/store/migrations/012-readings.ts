import type { Migration } from './index'

/**
 * The Reading Tool (issue 17). `readings`: one configured reading of a project (its JSON config as the admin wrote
 * it; `blind_key` keys the opaque case tokens of blind mode). `reading_sessions`: a reader's (or, in joint mode, the
 * readers') session of one mode with the order of its cases (JSON) and the seed of a `full` randomisation.
 * `reading_results`: one submitted form per reader (owner) × mode × case × repetition × stage: the form values and
 * annotations as JSON, the times (ms since the epoch) and the active seconds (pauses excluded). `owner_id` is the
 * reader, or 0 for a joint reading (one result for all readers; `user_id` is who submitted it).
 */
export const m012Readings: Migration = {
  id: 12,
  name: 'readings',
  statements: [
    `CREATE TABLE readings (
      id {pk},
      project_id BIGINT NOT NULL,
      name VARCHAR(128) NOT NULL,
      config {longtext} NOT NULL,
      blind_key CHAR(64) NOT NULL,
      created_by BIGINT,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX readings_project ON readings (project_id)`,
    `CREATE TABLE reading_sessions (
      id {pk},
      reading_id BIGINT NOT NULL,
      user_id BIGINT NOT NULL,
      owner_id BIGINT NOT NULL,
      mode VARCHAR(16) NOT NULL,
      seed BIGINT NOT NULL,
      case_order {longtext} NOT NULL,
      created_at BIGINT NOT NULL,
      FOREIGN KEY (reading_id) REFERENCES readings(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX reading_sessions_owner ON reading_sessions (reading_id, owner_id, mode)`,
    `CREATE TABLE reading_results (
      id {pk},
      reading_id BIGINT NOT NULL,
      session_id BIGINT NOT NULL,
      owner_id BIGINT NOT NULL,
      user_id BIGINT NOT NULL,
      username VARCHAR(64) NOT NULL,
      mode VARCHAR(16) NOT NULL,
      case_key VARCHAR(700) {bin} NOT NULL,
      patients_id VARCHAR(128) {bin} NOT NULL,
      studies_id VARCHAR(128) {bin} NOT NULL DEFAULT '',
      study_path VARCHAR(700) {bin} NOT NULL DEFAULT '',
      repetition INTEGER NOT NULL,
      stage INTEGER NOT NULL,
      form_values {longtext} NOT NULL,
      annotations {longtext} NOT NULL,
      started_at BIGINT NOT NULL,
      submitted_at BIGINT NOT NULL,
      seconds_spent DOUBLE NOT NULL,
      FOREIGN KEY (reading_id) REFERENCES readings(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE UNIQUE INDEX reading_results_slot ON reading_results (reading_id, owner_id, mode, case_key, repetition, stage)`,
  ],
}
