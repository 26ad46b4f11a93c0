import { describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { randomPassword, randomToken, sha256Hex } from '../../../src/auth/secrets'

describe('secrets', () => {
  test('sha256Hex agrees with node:crypto', () => {
    for (const s of ['', 'nora_abc', 'ümlaut 🧠']) expect(sha256Hex(s)).toBe(createHash('sha256').update(s).digest('hex'))
  })

  test('randomToken: 32 random bytes, base64url, never repeated', () => {
    const tokens = Array.from({ length: 200 }, () => randomToken())
    for (const t of tokens) {
      expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(Buffer.from(t, 'base64url').length).toBe(32)
    }
    expect(new Set(tokens).size).toBe(tokens.length)
  })

  test('randomPassword: the asked length, no look-alike characters, all of the alphabet in use', () => {
    const pws = Array.from({ length: 300 }, () => randomPassword())
    const seen = new Set(pws.join(''))
    for (const p of pws) {
      expect(p).toHaveLength(20)
      expect(p).not.toMatch(/[lIO01o]/)
    }
    expect(seen.size).toBe(56)
    expect(new Set(pws).size).toBe(pws.length)
    expect(randomPassword(8)).toHaveLength(8)
  })
})
