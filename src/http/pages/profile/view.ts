import type { TokenInfo } from '../../../store/repos/tokens-repo'

/** A time as the profile shows it: `2026-12-03 13:45 UTC`. */
export const shownTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`

/** A token's row in the profile's list: never its secret (which is not stored). */
export function tokenRow(t: TokenInfo, now = Date.now()) {
  return {
    id: t.id,
    label: t.name,
    created: shownTime(t.createdAt),
    lastUsed: t.lastUsedAt === null ? 'never' : shownTime(t.lastUsedAt),
    expires: t.expiresAt === null ? 'never' : shownTime(t.expiresAt),
    expired: t.expiresAt !== null && t.expiresAt <= now,
  }
}
