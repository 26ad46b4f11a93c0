import { describe, expect, test } from 'bun:test'
import { parseExpiry } from '../../../src/auth/token-expiry'
import { UsageError } from '../../../src/core/errors'

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0) // 2025-06-15 12:00 UTC

describe('parseExpiry (--expires)', () => {
  test('durations in minutes, hours, days and weeks count from now', () => {
    expect(parseExpiry('90m', NOW)).toBe(NOW + 90 * 60_000)
    expect(parseExpiry('12h', NOW)).toBe(NOW + 12 * 3_600_000)
    expect(parseExpiry('30d', NOW)).toBe(NOW + 30 * 86_400_000)
    expect(parseExpiry('8w', NOW)).toBe(NOW + 56 * 86_400_000)
  })

  test('a day means until the end of that day, UTC', () => {
    expect(parseExpiry('2025-06-30', NOW)).toBe(Date.UTC(2025, 6, 1))
    expect(parseExpiry('2025-06-15', NOW)).toBe(Date.UTC(2025, 5, 16))
  })

  test('anything else, days gone by, impossible days and more than ten years are refused with the accepted forms', () => {
    for (const bad of ['', '30', 'd', '0d', '-3d', '30x', '1.5d', '30 days', '2025-6-30', '2025-02-30', 'tomorrow']) {
      expect(() => parseExpiry(bad, NOW)).toThrow(UsageError)
      expect(() => parseExpiry(bad, NOW)).toThrow(/12h, 30d or 8w|day/)
    }
    expect(() => parseExpiry('2025-06-14', NOW)).toThrow(/over/)
    expect(() => parseExpiry('600w', NOW)).toThrow(/ten years/)
    expect(() => parseExpiry('2040-01-01', NOW)).toThrow(/ten years/)
  })
})
