import type { Migration } from './index'

/**
 * Shared links (the seed's hanging protocols): a viewer state saved by a user for one project, opened by anyone with
 * read on that project at /share/ID. The id is random (not a counter), the state is JSON (files, ROIs and marker sets
 * by their path inside the project; src/sharing/shared-state.ts). A project's or owner's deletion takes its links.
 */
export const m013SharedLinks: Migration = {
  id: 13,
  name: 'shared-links',
  statements: [
    `CREATE TABLE shared_links (
      id VARCHAR(32) {bin} NOT NULL PRIMARY KEY,
      project_id BIGINT NOT NULL,
      owner_id BIGINT NOT NULL,
      title VARCHAR(255) NOT NULL DEFAULT '',
      state {longtext} NOT NULL,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE,
      FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE INDEX shared_links_owner ON shared_links (owner_id, updated_at)`,
  ],
}
