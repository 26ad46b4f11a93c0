import { describe, expect, test } from 'bun:test'
import { ForbiddenError } from '../../../src/core/errors'
import type { User } from '../../../src/core/types'
import { checkCsrf, sameToken } from '../../../src/http/csrf'
import type { Caller } from '../../../src/http/request-auth'
import { safeNext, wantsJson } from '../../../src/http/responses'

const user: User = { id: 1, username: 'u', displayName: '', email: '', isSiteAdmin: false, source: 'local', disabled: false, createdAt: 0 }
const session: Caller = { user, via: 'session', csrfToken: 'T'.repeat(43) }
const post = (headers: Record<string, string> = {}) => new Request('https://nora.lab/logout', { method: 'POST', headers })

describe('sameToken', () => {
  test('equal tokens match; different, shorter, longer or missing ones do not', () => {
    expect(sameToken('abc', 'abc')).toBe(true)
    expect(sameToken('abc', 'abd')).toBe(false)
    expect(sameToken('abc', 'ab')).toBe(false)
    expect(sameToken('abc', 'abcd')).toBe(false)
    expect(sameToken(undefined, 'abc')).toBe(false)
    expect(sameToken('', '')).toBe(false)
  })
})

describe('checkCsrf', () => {
  test('a session POST needs the token, from the form or the X-CSRF-Token header', () => {
    expect(() => checkCsrf(post(), session, undefined)).toThrow(ForbiddenError)
    expect(() => checkCsrf(post(), session, 'wrong')).toThrow(ForbiddenError)
    expect(() => checkCsrf(post(), session, session.csrfToken)).not.toThrow()
    expect(() => checkCsrf(post({ 'x-csrf-token': session.csrfToken! }), session, undefined)).not.toThrow()
  })

  test('a foreign Origin is refused even with the right token; our own Origin is fine', () => {
    expect(() => checkCsrf(post({ origin: 'https://evil.example' }), session, session.csrfToken)).toThrow(/cross-site/)
    expect(() => checkCsrf(post({ origin: 'http://nora.lab' }), session, session.csrfToken)).toThrow(ForbiddenError)
    expect(() => checkCsrf(post({ origin: 'https://nora.lab' }), session, session.csrfToken)).not.toThrow()
  })

  test('GET, anonymous callers and API-token callers are not checked', () => {
    expect(() => checkCsrf(new Request('https://nora.lab/', { method: 'GET' }), session, undefined)).not.toThrow()
    expect(() => checkCsrf(post(), undefined, undefined)).not.toThrow()
    expect(() => checkCsrf(post({ origin: 'https://evil.example' }), { user, via: 'token' }, undefined)).not.toThrow()
  })
})

describe('safeNext', () => {
  test('keeps local paths, turns everything else into /', () => {
    expect(safeNext('/?project=a')).toBe('/?project=a')
    expect(safeNext('/viewer/x')).toBe('/viewer/x')
    for (const bad of [undefined, '', '//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', 'relative'])
      expect(safeNext(bad)).toBe('/')
  })
})

describe('safeNext against what browsers make of a Location', () => {
  // Browsers drop tabs and newlines from URLs and read `\` as `/`: each of these would leave the site.
  const hostile = [
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\n/evil.example',
    '\t//evil.example',
    '/\\evil.example',
    '\\/evil.example',
    '//evil.example',
    '///evil.example',
    '/\t\\evil.example',
    ' //evil.example',
    'http:evil.example',
    '\u0000//evil.example',
  ]
  test('tab, newline, backslash and scheme-relative forms all give /', () => {
    for (const bad of hostile) expect([bad, safeNext(bad)]).toEqual([bad, '/'])
  })

  test('the query string forms, decoded once as the login route gets them, give /', () => {
    for (const q of ['next=%2F%09%2Fevil.example', 'next=%2F%0A%2Fevil.example', 'next=%2F%5Cevil.example', 'next=%2F%2Fevil.example', 'next=/%09/evil.example'])
      expect([q, safeNext(new URLSearchParams(q).get('next')!)]).toEqual([q, '/'])
  })

  test('dot segments that collapse to // stay on the site', () => {
    for (const sneaky of ['/.//evil.example', '/./\\evil.example', '/a/../..//evil.example', '/..\\/evil.example']) {
      const out = safeNext(sneaky)
      expect(out).toStartWith('/')
      expect(out).not.toMatch(/^[\/\\]{2}/)
      expect(new URL(out, 'https://nora.lab/').host).toBe('nora.lab')
    }
  })

  test('encoded forms stay literal path characters on this site; the result is ASCII (safe as a header)', () => {
    expect(safeNext('/%09/evil.example')).toBe('/%09/evil.example')
    expect(safeNext('/%2F%2Fevil.example')).toBe('/%2F%2Fevil.example')
    expect(safeNext('/%5Cevil.example')).toBe('/%5Cevil.example')
    expect(safeNext('/ü?q=ä')).toBe('/%C3%BC?q=%C3%A4')
    expect(safeNext('/viewer/x?project=a#s1')).toBe('/viewer/x?project=a#s1')
    expect(() => new Headers({ location: safeNext('/ü\u2028') })).not.toThrow()
  })

  test('every output stays on the site by the URL standard', () => {
    for (const v of [...hostile, '/.//evil.example', '/%09/evil', '/ok', '/@evil.example', '/:@evil.example'])
      expect(new URL(safeNext(v), 'https://nora.lab/a/b').origin).toBe('https://nora.lab')
  })
})

describe('wantsJson', () => {
  test('API paths and Accept: application/json get JSON', () => {
    expect(wantsJson(new Request('https://nora.lab/api/projects'))).toBe(true)
    expect(wantsJson(new Request('https://nora.lab/', { headers: { accept: 'application/json' } }))).toBe(true)
    expect(wantsJson(new Request('https://nora.lab/', { headers: { accept: 'text/html' } }))).toBe(false)
  })
})
