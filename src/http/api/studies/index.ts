import { Elysia, t } from 'elysia'
import { MAX_FILTER_LENGTH } from '../../../archive/filter/parse-filter'
import { MAX_LIMIT, SORT_COLUMNS } from '../../../archive/filter/study-query'
import { AuthError } from '../../../core/errors'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'

const bar = t.Optional(t.String({ maxLength: MAX_FILTER_LENGTH }))

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
      query: t.Object({
        q: bar,
        patients_id: bar,
        name: bar,
        birth_date: bar,
        studies_id: bar,
        study_date: bar,
        description: bar,
        modality: bar,
        file: bar,
        sort: t.Optional(t.Union(SORT_COLUMNS.map((c) => t.Literal(c)))),
        dir: t.Optional(t.Union([t.Literal('asc'), t.Literal('desc')])),
        level: t.Optional(t.Union([t.Literal('study'), t.Literal('subject')])),
        limit: t.Optional(t.Numeric({ minimum: 1, maximum: MAX_LIMIT, multipleOf: 1 })),
        offset: t.Optional(t.Numeric({ minimum: 0, multipleOf: 1 })),
      }),
    },
  )
}
