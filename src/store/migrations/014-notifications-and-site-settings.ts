import type { Migration } from './index'

/**
 * Notifications get a link (the batch, import or pull they are about) and an index for the header's unread count;
 * site settings: the values a site admin changed in the admin page, by name (`auth.sessionHours`, `mail.host`, ...),
 * which override conf/*.conf at start and take effect at once (src/config/site-settings.ts lists the names).
 */
export const m014NotificationsAndSiteSettings: Migration = {
  id: 14,
  name: 'notifications-and-site-settings',
  statements: [
    `ALTER TABLE notifications ADD COLUMN link VARCHAR(255) NOT NULL DEFAULT ''`,
    `CREATE INDEX notifications_user ON notifications (user_id, read_at)`,
    `CREATE TABLE site_settings (
      name VARCHAR(64) NOT NULL PRIMARY KEY,
      value VARCHAR(1024) NOT NULL,
      updated_at BIGINT NOT NULL,
      updated_by VARCHAR(64) NOT NULL DEFAULT ''
    ) {table}`,
  ],
}
