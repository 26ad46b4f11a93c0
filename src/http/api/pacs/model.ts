import { t } from 'elysia'
import { UsageError } from '../../../core/errors'
import { LEVELS, QUERY_KEYS, type FindRequest } from '../../../pacs/find-view'

const key = t.Optional(t.String({ maxLength: 128 }))

/** The query string of a C-FIND: level, the search keys, and the target project. */
export const findQuery = t.Object({
  level: t.Optional(t.String({ maxLength: 16 })),
  project: t.Optional(t.String({ maxLength: 64 })),
  ...Object.fromEntries(QUERY_KEYS.map((k) => [k, key])),
})

export const nodeParams = t.Object({ node: t.String({ minLength: 1, maxLength: 64 }) })

export const pullBody = t.Object({
  node: t.String({ minLength: 1, maxLength: 64 }),
  project: t.String({ minLength: 1, maxLength: 64 }),
  studies: t.Array(
    t.Object({
      studyInstanceUid: t.String({ minLength: 1, maxLength: 64, pattern: '^[0-9.]+$' }),
      expectedInstances: t.Optional(t.Integer({ minimum: 0 })),
      patientId: t.Optional(t.String({ maxLength: 128 })),
      description: t.Optional(t.String({ maxLength: 256 })),
    }),
    { minItems: 1, maxItems: 10000 },
  ),
})

/** A level word (patient, study, series; default study) as the DICOM level, or a UsageError. */
export function levelOf(word: string | undefined) {
  const level = LEVELS[(word ?? 'study').toLowerCase()]
  if (!level) throw new UsageError(`level "${word}": use patient, study or series`)
  return level
}

/** A find request from a query string (the API's and the page's). */
export function findRequest(node: string, query: Record<string, string | undefined>): FindRequest {
  const keys: FindRequest['keys'] = {}
  for (const k of QUERY_KEYS) if (query[k] !== undefined) keys[k] = query[k]
  return { node, level: levelOf(query.level), keys, project: query.project || undefined }
}

const uid = t.String({ minLength: 1, maxLength: 64, pattern: '^[0-9.]+$' })

/** POST /api/pacs/nodes/:node/push: a study (or some of its series) of a project, sent by C-STORE. */
export const pushBody = t.Object({
  project: t.String({ minLength: 1, maxLength: 64 }),
  study: uid,
  series: t.Optional(t.Array(uid, { maxItems: 1000 })),
})
