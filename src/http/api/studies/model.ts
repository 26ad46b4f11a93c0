import { t } from 'elysia'
import { MAX_FILTER_LENGTH } from '../../../archive/filter/parse-filter'
import { SORT_COLUMNS } from '../../../archive/filter/study-query'

const bar = t.Optional(t.String({ maxLength: MAX_FILTER_LENGTH }))

/** The query of a subject/study listing: one field per filter bar, then sorting and paging. */
export function studyQuery(maxLimit: number) {
  return t.Object({
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
    limit: t.Optional(t.Numeric({ minimum: 1, maximum: maxLimit, multipleOf: 1 })),
    offset: t.Optional(t.Numeric({ minimum: 0, multipleOf: 1 })),
  })
}
