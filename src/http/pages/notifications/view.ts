import type { NotificationRecord } from '../../../store/repos/notifications-repo'

/** "2026-06-30 14:05" (UTC). */
const utc = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ')

/** A notification as the menu and the page show it (mustache escapes the message). Links are this site's own paths only. */
export function notificationView(n: NotificationRecord) {
  return { id: n.id, kind: n.kind, message: n.message, link: n.link.startsWith('/') && !n.link.startsWith('//') ? n.link : '', when: utc(n.createdAt), readAt: n.readAt }
}

export const NOTICES: Record<string, string> = {
  mail: 'Your mail choice was saved.',
}
