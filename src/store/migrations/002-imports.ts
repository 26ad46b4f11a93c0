import type { Migration } from './index'

/** Imports with their progress and problems, and the DICOM series/instances each study holds (idempotent re-imports). */
export const m002Imports: Migration = {
  id: 2,
  name: 'imports',
  statements: [
    `CREATE TABLE imports (
      id {pk},
      project_id BIGINT NOT NULL,
      user_id BIGINT,
      source VARCHAR(1024) NOT NULL DEFAULT '',
      state VARCHAR(16) NOT NULL,
      phase VARCHAR(32) NOT NULL DEFAULT '',
      done_units INTEGER NOT NULL DEFAULT 0,
      total_units INTEGER NOT NULL DEFAULT 0,
      counts {text},
      message {text},
      runner VARCHAR(128) NOT NULL DEFAULT '',
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE TABLE import_problems (
      id {pk},
      import_id BIGINT NOT NULL,
      file VARCHAR(1024) NOT NULL,
      kind VARCHAR(16) NOT NULL,
      message {text} NOT NULL,
      FOREIGN KEY (import_id) REFERENCES imports(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE TABLE dicom_series (
      id {pk},
      project_id BIGINT NOT NULL,
      study_id BIGINT NOT NULL,
      series_uid VARCHAR(128) NOT NULL,
      folder VARCHAR(255) NOT NULL,
      base_name VARCHAR(64) NOT NULL,
      description VARCHAR(255) NOT NULL DEFAULT '',
      instances INTEGER NOT NULL DEFAULT 0,
      outputs {text},
      updated_at BIGINT NOT NULL,
      UNIQUE (study_id, series_uid),
      FOREIGN KEY (study_id) REFERENCES studies(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE TABLE dicom_instances (
      series_id BIGINT NOT NULL,
      sop_uid VARCHAR(128) NOT NULL,
      PRIMARY KEY (series_id, sop_uid),
      FOREIGN KEY (series_id) REFERENCES dicom_series(id) ON DELETE CASCADE
    ) {table}`,
    // Pseudonymised projects: lookup is an HMAC of the original PatientID under a key kept outside the
    // database, sealed the original identity encrypted under it; no row holds an original name or ID.
    `CREATE TABLE pseudonyms (
      project_id BIGINT NOT NULL,
      lookup CHAR(64) NOT NULL,
      pseudonym VARCHAR(64) {bin} NOT NULL,
      sealed {text} NOT NULL,
      created_at BIGINT NOT NULL,
      PRIMARY KEY (project_id, lookup),
      UNIQUE (project_id, pseudonym),
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
  ],
}
