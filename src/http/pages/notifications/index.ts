import { Elysia, t } from 'elysia'
import { NoraError } from '../../../core/errors'
import type { User } from '../../../core/types'
import type { NotificationService } from '../../../notify/notifications'
import type { AuthPlugin } from '../../plugins/auth'
import { htmxPlugin, NO_STORE } from '../../plugins/htmx'
import { html, loginRedirect, redirect } from '../../responses'
import { renderPartial } from '../../templates'
import { NOTICES, notificationView } from './view'

export interface NotificationPagesDeps {
  auth: AuthPlugin
  siteName: string
  notifications: Pick<NotificationService, 'list' | 'unread' | 'markRead' | 'markAllRead' | 'mailChoice' | 'setMailChoice'>
}

/** Tells the header's count to refresh (htmx event) after something was marked read. */
const CHANGED = { 'hx-trigger': 'notifications-changed' }

/**
 * The header's bell (unread count, polled by htmx) and its menu (the last notifications, mark as read), and the
 * notifications page with the user's mail choice. Only one's own: no route takes a user.
 */
export function notificationPages(d: NotificationPagesDeps) {
  /** The list: the header's menu shows the last 10, the page the last 200 (`limit` goes into its own buttons' URLs). */
  const menu = async (user: User, limit = 10) => {
    const items = (await d.notifications.list(user, { limit })).map(notificationView)
    return { items, limit, full: limit > 10, unread: await d.notifications.unread(user) }
  }
  const page = async (user: User, csrf: string | undefined, extra: { error?: string; notice?: string }, status = 200) => {
    return { status, view: { title: 'Notifications', site: d.siteName, user, csrf, ...(await menu(user, 200)), ...(await d.notifications.mailChoice(user)), ...extra } }
  }
  const limitQuery = t.Object({ n: t.Optional(t.Numeric({ minimum: 1, maximum: 200 })) })
  return new Elysia()
    .use(d.auth)
    .use(htmxPlugin)
    .get(
      '/notifications',
      async ({ request, auth, htmx, query }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        const p = await page(caller.user, caller.csrfToken, { notice: query.done ? NOTICES[query.done] : undefined })
        return htmx.page('notifications', p.view, p.status)
      },
      { query: t.Object({ done: t.Optional(t.String({ maxLength: 16 })) }) },
    )
    .get('/notifications/count', async ({ auth }) => {
      const n = await d.notifications.unread(await auth.user())
      return html(n ? String(n) : '', 200, NO_STORE)
    })
    .get('/notifications/menu', async ({ auth }) => html(renderPartial('notifications-menu', await menu(await auth.user())), 200, NO_STORE))
    .post(
      '/notifications/:id/read',
      async ({ auth, htmx, params, query }) => {
        const user = await auth.user()
        await d.notifications.markRead(user, params.id)
        return htmx.partial ? html(renderPartial('notifications-menu', await menu(user, query.n)), 200, { ...NO_STORE, ...CHANGED }) : redirect('/notifications')
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), query: limitQuery, body: t.Optional(t.Object({ _csrf: t.Optional(t.String({ maxLength: 128 })) })) },
    )
    .post(
      '/notifications/read-all',
      async ({ auth, htmx, query }) => {
        const user = await auth.user()
        await d.notifications.markAllRead(user)
        return htmx.partial ? html(renderPartial('notifications-menu', await menu(user, query.n)), 200, { ...NO_STORE, ...CHANGED }) : redirect('/notifications')
      },
      { query: limitQuery, body: t.Optional(t.Object({ _csrf: t.Optional(t.String({ maxLength: 128 })) })) },
    )
    .post(
      '/notifications/mail',
      async ({ auth, htmx, body }) => {
        const caller = (await auth.caller())!
        const user = await auth.user()
        try {
          await d.notifications.setMailChoice(user, { mail: body.mail === 'on', email: body.email ?? '' })
        } catch (e) {
          if (!(e instanceof NoraError)) throw e
          const p = await page(user, caller.csrfToken, { error: e.message }, e.status)
          return htmx.page('notifications', p.view, p.status)
        }
        return redirect('/notifications?done=mail')
      },
      { body: t.Object({ email: t.Optional(t.String({ maxLength: 320 })), mail: t.Optional(t.String({ maxLength: 8 })), _csrf: t.Optional(t.String({ maxLength: 128 })) }) },
    )
}
