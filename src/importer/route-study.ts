import type { RoutesConf } from '../config/dicom-confs'
import type { DicomHeader } from '../dicom/dicom-header'

/** The header attributes routes.conf rules may test, by their DICOM keyword. */
const HEADER_FIELDS: Record<string, keyof DicomHeader> = {
  StudyDescription: 'studyDescription',
  SeriesDescription: 'seriesDescription',
  ProtocolName: 'protocolName',
  Modality: 'modality',
  PatientID: 'patientId',
  AccessionNumber: 'accessionNumber',
  StudyDate: 'studyDate',
}

export const ROUTABLE_HEADER_FIELDS = Object.keys(HEADER_FIELDS)

export interface Route {
  project: string
  /** Why: the rule that matched, the default, or why it went to quarantine. */
  reason: string
  autoexecQueue: string
}

/** First matching rule wins; then the default project; else quarantine. Pure: no I/O. */
export function routeStudy(conf: RoutesConf, sender: { callingAet: string; calledAet: string }, header: DicomHeader): Route {
  for (const [i, rule] of conf.rules.entries()) {
    if (rule.callingAet && rule.callingAet !== sender.callingAet) continue
    if (rule.calledAet && rule.calledAet !== sender.calledAet) continue
    const headerOk = Object.entries(rule.header).every(([keyword, pattern]) => {
      const field = HEADER_FIELDS[keyword]
      return field !== undefined && new RegExp(pattern).test(String(header[field] ?? ''))
    })
    if (headerOk) return { project: rule.project, reason: `rule ${i + 1}`, autoexecQueue: rule.autoexecQueue }
  }
  if (conf.defaultProject) return { project: conf.defaultProject, reason: 'default project', autoexecQueue: '' }
  return { project: conf.quarantineProject, reason: 'no rule matched and no default project', autoexecQueue: '' }
}
