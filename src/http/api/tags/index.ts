import { Elysia, t } from 'elysia'
import { AuthError } from '../../../core/errors'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'

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
export function tagsApi(deps: HttpDeps) {
  const handle = (remove: boolean) => async ({ request, params, body: b }: { request: Request; params: { project: string }; body: typeof body.static }) => {
    const caller = await callerOf(deps.auth, request)
    if (!caller) throw new AuthError('sign in, or send an API token (Authorization: Bearer nora_...)')
    const list = [...(b.items ?? []), ...(b.ids ?? []), ...(b.psids ?? []), ...(b.paths ?? [])]
    const { changed } = await deps.tags.apply(caller.user, params.project, { target: b.target, items: list, tag: b.tag }, remove)
    return { target: b.target, tag: b.tag, items: list.length, changed }
  }
  const params = t.Object({ project: t.String({ maxLength: 64 }) })
  return new Elysia().post('/api/projects/:project/tags', handle(false), { params, body }).delete('/api/projects/:project/tags', handle(true), { params, body })
}
