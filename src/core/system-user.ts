import type { User } from './types'

/**
 * A user that is nora itself, not a person: the console (root or the data root's owner at the CLI), the DICOM
 * receiver, PACS pulls, autoexecution. Id 0 (no row in users), site admin, never disabled.
 */
export function systemUser(username: string, displayName: string): User {
  return { id: 0, username, displayName, email: '', isSiteAdmin: true, source: 'local', disabled: false, createdAt: 0 }
}
