import type { Migration } from './index'

/**
 * The audit log: what a site admin did as another user (a URL call with `asuser=NAME`) and the like, one row per act
 * (who, what, as whom, the details as text; never a secret). User settings: a user's own preferences by name (the
 * styling theme), each a short text.
 */
export const m011AuditAndUserSettings: Migration = {
  id: 11,
  name: 'audit-and-user-settings',
  statements: [
    `CREATE TABLE audit_log (
      id {pk},
      at BIGINT NOT NULL,
      actor_id BIGINT,
      actor VARCHAR(64) NOT NULL,
      action VARCHAR(64) NOT NULL,
      subject VARCHAR(255) NOT NULL,
      detail {text}
    ) {table}`,
    `CREATE INDEX audit_log_at ON audit_log (at)`,
    `CREATE TABLE user_settings (
      user_id BIGINT NOT NULL,
      name VARCHAR(64) NOT NULL,
      value VARCHAR(255) NOT NULL,
      PRIMARY KEY (user_id, name),
      FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
    ) {table}`,
  ],
}
