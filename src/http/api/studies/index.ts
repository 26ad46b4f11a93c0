import { Elysia, t } from 'elysia'
import type { StudiesService } from '../../../archive/filter/studies-service'
import { MAX_LIMIT } from '../../../archive/filter/study-query'
import type { AuthPlugin } from '../../plugins/auth'
import { studyQuery } from './model'

/**
 * The subject/study table: `GET /api/projects/:project/studies?q=&patients_id=&name=&...&file=&sort=&dir=&limit=&offset=&level=`.
 * Each query field is one filter bar (the seed's language, see archive/filter/parse-filter.ts); all bars must hold.
 */
export function studiesApi(d: { auth: AuthPlugin; studies: Pick<StudiesService, 'list'> }) {
  return new Elysia().use(d.auth).get(
    '/api/projects/:project/studies',
    async ({ auth, params, query }) => {
      const user = await auth.user()
      const { sort, dir, limit, offset, level, ...bars } = query
      return d.studies.list(user, params.project, bars, { sort, dir, limit, offset, level })
    },
    {
      params: t.Object({ project: t.String({ maxLength: 64 }) }),
      query: studyQuery(MAX_LIMIT),
    },
  )
}
