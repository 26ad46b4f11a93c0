import { Elysia, t } from 'elysia'
import { sharePath, type SharedLinksService } from '../../../sharing/shared-links-service'
import type { AuthPlugin } from '../../plugins/auth'
import { loginRedirect, redirect } from '../../responses'

const id = t.String({ minLength: 1, maxLength: 64 })
const title = t.Optional(t.String({ maxLength: 255 }))

/**
 * Shared links (the seed's hanging protocols), src/sharing: `GET /api/shared-links` (the caller's own), `POST` (a new
 * link: project, title, state), `GET /api/shared-links/:id` (the state, for anyone with read on its project),
 * `PUT /api/shared-links/:id` (overwrite: the owner), `DELETE /api/shared-links/:id` (the owner). The link itself is
 * `GET /share/:id`: it checks the right (403 with the reason; the login page first without a session) and sends the
 * browser to the project's desktop, whose viewer restores the state (`#share=ID`).
 */
export function sharedLinksApi(d: { auth: AuthPlugin; sharedLinks: SharedLinksService }) {
  const s = d.sharedLinks
  const withUrl = <T extends { id: string }>(l: T) => ({ ...l, url: sharePath(l.id) })
  return new Elysia()
    .use(d.auth)
    .get('/api/shared-links', async ({ auth }) => ({ links: (await s.mine(await auth.user())).map(withUrl) }))
    .post(
      '/api/shared-links',
      async ({ auth, body }) => Response.json(withUrl(await s.create(await auth.user(), body.project, body.title ?? '', body.state)), { status: 201 }),
      { body: t.Object({ project: t.String({ minLength: 1, maxLength: 64 }), title, state: t.Unknown() }) },
    )
    .get('/api/shared-links/:id', async ({ auth, params }) => withUrl(await s.open(await auth.user(), params.id)), { params: t.Object({ id }) })
    .put(
      '/api/shared-links/:id',
      async ({ auth, params, body }) => withUrl(await s.overwrite(await auth.user(), params.id, body.title, body.state)),
      { params: t.Object({ id }), body: t.Object({ title, state: t.Unknown() }) },
    )
    .delete(
      '/api/shared-links/:id',
      async ({ auth, params }) => {
        await s.delete(await auth.user(), params.id)
        return { deleted: params.id }
      },
      { params: t.Object({ id }) },
    )
    .get(
      '/share/:id',
      async ({ request, auth, params }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        const link = await s.open(caller.user, params.id)
        return redirect(`/?project=${encodeURIComponent(link.project)}#share=${encodeURIComponent(link.id)}`, { 'cache-control': 'no-store' })
      },
      { params: t.Object({ id }) },
    )
}
