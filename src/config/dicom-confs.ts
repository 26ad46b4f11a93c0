import { listOf, object, oneOf, recordOf, string, integer } from './schema'

const aet = string(undefined, { pattern: /^[\x20-\x5b\x5d-\x7e]{1,16}$/, hint: 'an AE title of 1-16 printable characters' })

/** conf/pacs.conf: the DICOM nodes nora talks to, and who may send to nora. */
export const pacsConfRule = object({
  nodes: recordOf(
    object({
      aet,
      host: string(),
      port: integer(1, 65535),
      retrieve: oneOf(['move', 'get'] as const, 'move'),
    }),
  ),
  /** Calling AE titles accepted by the receiver; empty accepts any. */
  allowedCallingAets: listOf(aet),
})

/** conf/routes.conf: which project received DICOM goes to. */
export const routesConfRule = object({
  rules: listOf(
    object({
      callingAet: string(''),
      calledAet: string(''),
      /** Header rules: every named attribute must match its regular expression. */
      header: recordOf(string()),
      project: string(),
      autoexecQueue: string(''),
    }),
  ),
  /** Where data no rule claims goes; empty: to the quarantine project. */
  defaultProject: string(''),
  /** Unroutable data is kept here (created on demand, visible to site admins), never dropped. */
  quarantineProject: string('quarantine'),
})

export type PacsConf = ReturnType<typeof pacsConfRule.parse>
export type RoutesConf = ReturnType<typeof routesConfRule.parse>
