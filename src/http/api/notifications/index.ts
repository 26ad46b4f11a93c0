import { Elysia, t } from 'elysia'
import type { NotificationService } from '../../../notify/notifications'
import type { AuthPlugin } from '../../plugins/auth'

export interface NotificationsApiDeps {
  auth: AuthPlugin
  notifications: Pick<NotificationService, 'list' | 'unread' | 'markRead' | 'markAllRead' | 'mailChoice' | 'setMailChoice'>
}

const view = (n: Awaited<ReturnType<NotificationService['list']>>[number]) => ({ id: n.id, kind: n.kind, message: n.message, link: n.link, createdAt: n.createdAt, read: n.readAt !== null })

/**
 * The caller's own notifications as JSON: GET /api/notifications (?unread=1, ?limit=N) with the unread count, mark one
 * or all read, and the mail choice (GET/POST /api/notifications/mail).
 */
export function notificationsApi(d: NotificationsApiDeps) {
  return new Elysia()
    .use(d.auth)
    .get(
      '/api/notifications',
      async ({ auth, query }) => {
        const user = await auth.user()
        const items = await d.notifications.list(user, { unreadOnly: query.unread === '1', limit: query.limit ?? 50 })
        return { unread: await d.notifications.unread(user), notifications: items.map(view) }
      },
      { query: t.Object({ unread: t.Optional(t.String({ maxLength: 1 })), limit: t.Optional(t.Numeric({ minimum: 1, maximum: 500 })) }) },
    )
    .post(
      '/api/notifications/:id/read',
      async ({ auth, params }) => {
        const user = await auth.user()
        await d.notifications.markRead(user, params.id)
        return { unread: await d.notifications.unread(user) }
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }) },
    )
    .post('/api/notifications/read-all', async ({ auth }) => {
      const user = await auth.user()
      return { marked: await d.notifications.markAllRead(user), unread: 0 }
    })
    .get('/api/notifications/mail', async ({ auth }) => d.notifications.mailChoice(await auth.user()))
    .post(
      '/api/notifications/mail',
      async ({ auth, body }) => {
        const user = await auth.user()
        await d.notifications.setMailChoice(user, { mail: body.mail, email: body.email })
        return d.notifications.mailChoice(user)
      },
      { body: t.Object({ mail: t.Boolean(), email: t.String({ maxLength: 320 }) }) },
    )
}
