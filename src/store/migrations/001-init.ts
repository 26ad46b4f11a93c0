import type { Migration } from './index'

/** The seed's tables: projects, users, rights, subjects, studies, files, tags, gridjobs, commands, json, notifications. */
export const m001Init: Migration = {
  id: 1,
  name: 'init',
  statements: [
    `CREATE TABLE projects (
      id {pk},
      name VARCHAR(64) {bin} NOT NULL UNIQUE,
      description {text},
      settings {longtext},
      created_at BIGINT NOT NULL
    ) {table}`,
    `CREATE TABLE users (
      id {pk},
      username VARCHAR(64) {bin} NOT NULL UNIQUE,
      password_hash VARCHAR(255),
      display_name VARCHAR(255) NOT NULL DEFAULT '',
      email VARCHAR(255) NOT NULL DEFAULT '',
      is_site_admin INTEGER NOT NULL DEFAULT 0,
      source VARCHAR(16) NOT NULL DEFAULT 'local',
      disabled INTEGER NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL
    ) {table}`,
    `CREATE TABLE rights (
      user_id BIGINT NOT NULL,
      project_id BIGINT NOT NULL,
      role VARCHAR(8) NOT NULL,
      PRIMARY KEY (user_id, project_id),
      FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE TABLE sessions (
      id_hash CHAR(64) NOT NULL PRIMARY KEY,
      user_id BIGINT NOT NULL,
      csrf_token CHAR(64) NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE TABLE api_tokens (
      id {pk},
      user_id BIGINT NOT NULL,
      token_hash CHAR(64) NOT NULL UNIQUE,
      name VARCHAR(128) NOT NULL DEFAULT '',
      created_at BIGINT NOT NULL,
      last_used_at BIGINT,
      FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE TABLE login_failures (
      id {pk},
      subject VARCHAR(300) NOT NULL,
      at BIGINT NOT NULL
    ) {table}`,
    `CREATE INDEX login_failures_subject ON login_failures (subject, at)`,
    `CREATE TABLE subjects (
      id {pk},
      project_id BIGINT NOT NULL,
      patients_id VARCHAR(128) {bin} NOT NULL,
      name VARCHAR(255) NOT NULL DEFAULT '',
      birth_date VARCHAR(16) NOT NULL DEFAULT '',
      sex VARCHAR(16) NOT NULL DEFAULT '',
      created_at BIGINT NOT NULL,
      UNIQUE (project_id, patients_id),
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE TABLE studies (
      id {pk},
      project_id BIGINT NOT NULL,
      subject_id BIGINT NOT NULL,
      studies_id VARCHAR(128) {bin} NOT NULL,
      study_date VARCHAR(16) NOT NULL DEFAULT '',
      description VARCHAR(255) NOT NULL DEFAULT '',
      modality VARCHAR(64) NOT NULL DEFAULT '',
      study_uid VARCHAR(128) NOT NULL DEFAULT '',
      accession VARCHAR(64) NOT NULL DEFAULT '',
      created_at BIGINT NOT NULL,
      UNIQUE (subject_id, studies_id),
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE,
      FOREIGN KEY (subject_id) REFERENCES subjects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX studies_project ON studies (project_id, studies_id)`,
    `CREATE TABLE files (
      id {pk},
      project_id BIGINT NOT NULL,
      study_id BIGINT NOT NULL,
      path VARCHAR(700) {bin} NOT NULL,
      size BIGINT NOT NULL DEFAULT 0,
      type VARCHAR(32) NOT NULL DEFAULT '',
      meta {longtext},
      created_at BIGINT NOT NULL,
      UNIQUE (study_id, path),
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE,
      FOREIGN KEY (study_id) REFERENCES studies(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX files_project_path ON files (project_id, path)`,
    `CREATE TABLE subject_tags (
      subject_id BIGINT NOT NULL,
      tag VARCHAR(128) {bin} NOT NULL,
      PRIMARY KEY (subject_id, tag),
      FOREIGN KEY (subject_id) REFERENCES subjects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE TABLE study_tags (
      study_id BIGINT NOT NULL,
      tag VARCHAR(128) {bin} NOT NULL,
      PRIMARY KEY (study_id, tag),
      FOREIGN KEY (study_id) REFERENCES studies(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE TABLE file_tags (
      file_id BIGINT NOT NULL,
      tag VARCHAR(128) {bin} NOT NULL,
      PRIMARY KEY (file_id, tag),
      FOREIGN KEY (file_id) REFERENCES files(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX study_tags_tag ON study_tags (tag)`,
    `CREATE INDEX file_tags_tag ON file_tags (tag)`,
    `CREATE TABLE commands (
      id {pk},
      project_id BIGINT NOT NULL,
      user_id BIGINT,
      subject_id BIGINT,
      study_id BIGINT,
      batch_id BIGINT,
      position INTEGER NOT NULL DEFAULT 0,
      job {longtext} NOT NULL,
      state VARCHAR(16) NOT NULL DEFAULT 'queued',
      created_at BIGINT NOT NULL,
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX commands_state ON commands (state)`,
    `CREATE TABLE gridjobs (
      id {pk},
      command_id BIGINT,
      project_id BIGINT NOT NULL,
      executor VARCHAR(16) NOT NULL,
      external_id VARCHAR(64) NOT NULL DEFAULT '',
      queue VARCHAR(64) NOT NULL DEFAULT '',
      state VARCHAR(16) NOT NULL,
      reason {text},
      exit_code INTEGER,
      log_path VARCHAR(1024) NOT NULL DEFAULT '',
      submitted_at BIGINT NOT NULL,
      started_at BIGINT,
      finished_at BIGINT,
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX gridjobs_state ON gridjobs (state)`,
    `CREATE TABLE json (
      id {pk},
      project_id BIGINT,
      user_id BIGINT,
      kind VARCHAR(64) NOT NULL,
      name VARCHAR(255) NOT NULL DEFAULT '',
      content {longtext} NOT NULL,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE,
      FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX json_kind ON json (kind, project_id)`,
    `CREATE TABLE notifications (
      id {pk},
      user_id BIGINT,
      project_id BIGINT,
      kind VARCHAR(64) NOT NULL,
      message {text} NOT NULL,
      created_at BIGINT NOT NULL,
      read_at BIGINT,
      FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
    ) {table}`,
  ],
}
