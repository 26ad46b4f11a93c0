import type { Migration } from './index'

/**
 * The file search bar's patterns without `/` match the start of any path segment (`t1_mprage` finds
 * `t1_mprage/s001.nii`, `s00` finds `any/s001.nii`): before, a LIKE '%/x%' over every file of the project (1,000,000
 * files: most of the study table's time on MariaDB). Two generated columns make that index ranges
 * (compile-filter.ts, fileSet): the lower-cased file name (the segment after the last `/`) and whether the path is
 * nested deeper than `series/file` (only those files still need the LIKE over the whole path). VIRTUAL, as path_lc:
 * computed on read, nothing for the writers to fill in.
 */
export const m010FileNames: Migration = {
  id: 10,
  name: 'file-names',
  statements: [
    `ALTER TABLE files ADD COLUMN name_lc VARCHAR(700) {bin} GENERATED ALWAYS AS (LOWER({path_file_name})) VIRTUAL`,
    `ALTER TABLE files ADD COLUMN nested INTEGER GENERATED ALWAYS AS (LENGTH(path) - LENGTH(REPLACE(path, '/', '')) > 1) VIRTUAL`,
    `CREATE INDEX files_project_name_lc ON files (project_id, name_lc, study_id)`,
    `CREATE INDEX files_project_nested ON files (project_id, nested, study_id)`,
  ],
}
