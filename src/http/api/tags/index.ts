import { Elysia, t } from 'elysia'
import type { TagsService } from '../../../archive/tags-service'
import type { AuthPlugin, RequestAuth } from '../../plugins/auth'

const items = t.Optional(t.Array(t.String({ minLength: 1, maxLength: 1024 }), { maxItems: 10_000 }))
const body = t.Object({
  target: t.Union([t.Literal('subject'), t.Literal('study'), t.Literal('file')]),
  /** subject: patients_ids; study: PID#SID; file: PID/SID/folder/file. `ids`, `psids` and `paths` are the same list by another name. */
  items,
  ids: items,
  psids: items,
  paths: items,
  tag: t.String({ maxLength: 200 }),
})

/**
 * Tags from the desktop's context menu: `POST /api/projects/:project/tags` adds, `DELETE` removes
 * `{target: 'subject'|'study'|'file', items: [...], tag}`. Write right; the CSRF token is checked for sessions.
 */
export function tagsApi(d: { auth: AuthPlugin; tags: Pick<TagsService, 'apply'> }) {
  const handle = (remove: boolean) => async ({ auth, params, body: b }: { auth: RequestAuth; params: { project: string }; body: typeof body.static }) => {
    const user = await auth.user()
    const list = [...(b.items ?? []), ...(b.ids ?? []), ...(b.psids ?? []), ...(b.paths ?? [])]
    const { changed } = await d.tags.apply(user, params.project, { target: b.target, items: list, tag: b.tag }, remove)
    return { target: b.target, tag: b.tag, items: list.length, changed }
  }
  const params = t.Object({ project: t.String({ maxLength: 64 }) })
  return new Elysia().use(d.auth).post('/api/projects/:project/tags', handle(false), { params, body }).delete('/api/projects/:project/tags', handle(true), { params, body })
}
