import type { SiteSettingView } from '../../../config/site-settings'
import type { User } from '../../../core/types'

/** "2026-06-30 14:05" (UTC). */
const utc = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ')

export function userRow(u: User, rights: { project: string; role: string }[], viewer: User) {
  return { username: u.username, email: u.email, isSiteAdmin: u.isSiteAdmin, source: u.source, local: u.source !== 'ldap', disabled: u.disabled, self: u.id === viewer.id, rights }
}

export function settingRow(s: SiteSettingView) {
  return {
    ...s,
    isChoice: s.kind === 'choice',
    isInteger: s.kind === 'integer',
    options: s.choices.map((value) => ({ value, selected: value === s.value })),
    changed: s.changed && { by: s.changed.by, when: utc(s.changed.at) },
  }
}

/** What an action did, from the `done` of the redirect after it (`kind:arg:...`); the page escapes the names. */
export function noticeOf(done: string | undefined): string | undefined {
  if (!done) return undefined
  const [kind, a = '', b = '', c = ''] = done.split(':')
  switch (kind) {
    case 'created':
      return `User "${a}" created.`
    case 'disabled':
      return `"${a}" is disabled: signed out everywhere, its tokens stop working until it is enabled.`
    case 'enabled':
      return `"${a}" is enabled again.`
    case 'granted':
      return `"${a}" has ${b} on "${c}" now.`
    case 'revoked':
      return `"${a}" has no rights on "${b}" now.`
    case 'project-created':
      return `Project "${a}" created.`
    case 'described':
      return `Description of "${a}" saved.`
    case 'forked':
      return `"${b}" is a fork of "${a}" (${c} file(s)).`
    case 'trashed':
      return `Project "${a}" deleted; its folder is in data/trash/${a}/.`
    case 'setting':
      return `${a} saved; it is in effect now.`
    case 'setting-reset':
      return `${a} is back to its conf file value.`
    default:
      return undefined
  }
}
