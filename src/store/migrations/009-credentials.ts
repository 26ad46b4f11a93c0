import type { Migration } from './index'

/**
 * Credentials that end: API tokens may carry an expiry (`nora --admin token USER --expires 30d`; null: none), and the
 * tables that `nora serve` prunes (expired sessions, login failures older than their window, long-expired tokens) and
 * that a password change or `nora --admin disable` empties per user get the indexes those deletes need.
 */
export const m009Credentials: Migration = {
  id: 9,
  name: 'credentials',
  statements: [
    `ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT`,
    `CREATE INDEX sessions_user ON sessions (user_id)`,
    `CREATE INDEX sessions_expires ON sessions (expires_at)`,
    `CREATE INDEX login_failures_at ON login_failures (at)`,
    `CREATE INDEX api_tokens_user ON api_tokens (user_id)`,
  ],
}
