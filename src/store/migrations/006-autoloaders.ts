import type { Migration } from './index'

/**
 * Autoloader presets (per project, one named list of {pattern, viewport, colormap, min, max, as}, at most one active),
 * and the indexes the desktop table needs: job indicators look commands up by study and by subject; the file search
 * and FTAG look files up by study.
 */
export const m006Autoloaders: Migration = {
  id: 6,
  name: 'autoloaders',
  statements: [
    `CREATE TABLE autoloaders (
      id {pk},
      project_id BIGINT NOT NULL,
      name VARCHAR(128) {bin} NOT NULL,
      active INTEGER NOT NULL DEFAULT 0,
      items {longtext} NOT NULL,
      updated_at BIGINT NOT NULL,
      UNIQUE (project_id, name),
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX commands_study ON commands (study_id, state)`,
    `CREATE INDEX commands_subject ON commands (subject_id, state)`,
    // The file search bar matches LOWER(path); a generated column with an index turns anchored patterns
    // (`t1_mprage/s0*.nii`) into range scans. VIRTUAL: computed on read, nothing to fill in by the writers.
    `ALTER TABLE files ADD COLUMN path_lc VARCHAR(700) {bin} GENERATED ALWAYS AS (LOWER(path)) VIRTUAL`,
    `CREATE INDEX files_project_path_lc ON files (project_id, path_lc, study_id)`,
  ],
}
