import { UsageError } from '../core/errors'

/** How a project stores what it imports. Kept in projects.settings. */
export interface ProjectPolicy {
  /** `keep` the patients' names and IDs, or `pseudonymize` them on import. */
  identity: 'keep' | 'pseudonymize'
  /** Pseudonyms derived from the PatientID (`hash`, stable across imports) or numbered (`sequential`). */
  pseudonymMode: 'hash' | 'sequential'
}

export const DEFAULT_POLICY: ProjectPolicy = { identity: 'keep', pseudonymMode: 'hash' }

export function policyOf(settings: Record<string, unknown>): ProjectPolicy {
  const p = (settings.policy ?? {}) as Partial<ProjectPolicy>
  return {
    identity: p.identity === 'pseudonymize' ? 'pseudonymize' : 'keep',
    pseudonymMode: p.pseudonymMode === 'sequential' ? 'sequential' : 'hash',
  }
}

/** `keep`, `pseudonymize` or `pseudonymize:sequential` (the CLI's spelling). */
export function parsePolicy(text: string): ProjectPolicy {
  const [identity, mode] = text.split(':')
  if ((identity !== 'keep' && identity !== 'pseudonymize') || (mode !== undefined && mode !== 'hash' && mode !== 'sequential'))
    throw new UsageError(`policy "${text}": use keep, pseudonymize, pseudonymize:hash or pseudonymize:sequential`)
  return { identity, pseudonymMode: mode === 'sequential' ? 'sequential' : 'hash' }
}
