import { Elysia, t } from 'elysia'
import { MAX_LIMIT } from '../../../archive/filter/study-query'
import { AuthError } from '../../../core/errors'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'
import { studyQuery } from './model'

/**
 * The subject/study table: `GET /api/projects/:project/studies?q=&patients_id=&name=&...&file=&sort=&dir=&limit=&offset=&level=`.
 * Each query field is one filter bar (the seed's language, see archive/filter/parse-filter.ts); all bars must hold.
 */
export function studiesApi(deps: HttpDeps) {
  return new Elysia().get(
    '/api/projects/:project/studies',
    async ({ request, params, query }) => {
      const caller = await callerOf(deps.auth, request)
      if (!caller) throw new AuthError('sign in, or send an API token (Authorization: Bearer nora_...)')
      const { sort, dir, limit, offset, level, ...bars } = query
      return deps.studies.list(caller.user, params.project, bars, { sort, dir, limit, offset, level })
    },
    {
      params: t.Object({ project: t.String({ maxLength: 64 }) }),
      query: studyQuery(MAX_LIMIT),
    },
  )
}
