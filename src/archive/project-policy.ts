import { UsageError } from '../core/errors'
import { DEFAULT_NAMING } from '../dicom/series-naming'

/** How a project stores what it imports. Kept in projects.settings. */
export interface ProjectPolicy {
  /** `keep` the patients' names and IDs, or `pseudonymize` them on import. */
  identity: 'keep' | 'pseudonymize'
  /** Pseudonyms derived from the PatientID (`hash`, stable across imports) or numbered (`sequential`). */
  pseudonymMode: 'hash' | 'sequential'
  /** Series naming template, FOLDER/FILE (src/dicom/series-naming.ts). */
  naming: string
  /** Keep each series' original DICOM as a tar.gz beside the study (default), or drop it once converted. */
  keepDicom: boolean
  /**
   * Pseudonymised projects: `keep` dates and times as acquired (DICOM PS3.15's Retain Longitudinal Temporal
   * Information with Full Dates Option, the default) or `remove` them (the Basic Profile's action).
   */
  dates: 'keep' | 'remove'
}

export const DEFAULT_POLICY: ProjectPolicy = { identity: 'keep', pseudonymMode: 'hash', naming: DEFAULT_NAMING, keepDicom: true, dates: 'keep' }

export function policyOf(settings: Record<string, unknown>): ProjectPolicy {
  const p = (settings.policy ?? {}) as Partial<ProjectPolicy>
  return {
    identity: p.identity === 'pseudonymize' ? 'pseudonymize' : 'keep',
    pseudonymMode: p.pseudonymMode === 'sequential' ? 'sequential' : 'hash',
    naming: typeof p.naming === 'string' && p.naming ? p.naming : DEFAULT_NAMING,
    keepDicom: p.keepDicom !== false,
    dates: p.dates === 'remove' ? 'remove' : 'keep',
  }
}

/** `keep`, `pseudonymize` or `pseudonymize:sequential` (the CLI's spelling); naming stays as it was. */
export function parsePolicy(text: string, naming = DEFAULT_NAMING): ProjectPolicy {
  const [identity, mode] = text.split(':')
  if ((identity !== 'keep' && identity !== 'pseudonymize') || (mode !== undefined && mode !== 'hash' && mode !== 'sequential'))
    throw new UsageError(`policy "${text}": use keep, pseudonymize, pseudonymize:hash or pseudonymize:sequential`)
  return { identity, pseudonymMode: mode === 'sequential' ? 'sequential' : 'hash', naming, keepDicom: true, dates: 'keep' }
}

/** `keep` or `remove` (the CLI's --dates). */
export function parseDates(text: string): ProjectPolicy['dates'] {
  if (text !== 'keep' && text !== 'remove') throw new UsageError(`--dates "${text}": use keep (dates and times as acquired) or remove`)
  return text
}
