import { describe, expect, test } from 'bun:test'
import { basePathFetch, cookieWithBase, htmlWithBase, normalBasePath, responseWithBase, withBase } from '../../../src/http/base-path'
import { mainConfRule } from '../../../src/config/main-conf'

const B = '/godzilla/'

describe('http.basePath', () => {
  test('normal form of the conf value', () => {
    expect(normalBasePath('godzilla')).toBe(B)
    expect(normalBasePath('/godzilla')).toBe(B)
    expect(normalBasePath('/a/b/')).toBe('/a/b/')
    expect(normalBasePath('/')).toBe('/')
    expect(normalBasePath('')).toBe('/')
  })

  test('the conf refuses paths that climb or carry a query', () => {
    const conf = (basePath: string) => mainConfRule.parse({ http: { basePath } }, '')
    expect(conf('/godzilla/').http.basePath).toBe('/godzilla/')
    for (const bad of ['/../x', '/a/../b', '/x?y', '//x', '/a b']) expect(() => conf(bad)).toThrow(/http\.basePath/)
  })

  test('app paths move under the base once', () => {
    expect(withBase(B, '/api/health')).toBe('/godzilla/api/health')
    expect(withBase(B, '/')).toBe(B)
    expect(withBase(B, '/godzilla/api')).toBe('/godzilla/api')
    expect(withBase(B, '//evil.example/x')).toBe('//evil.example/x')
    expect(withBase(B, 'http://x/y')).toBe('http://x/y')
    expect(withBase('/', '/api')).toBe('/api')
  })

  test('URL attributes of a page, plain and as mustache escapes them, but not data or values', () => {
    const html = '<a href="/profile">p</a><a href="&#x2F;?project=P">d</a><script src="/static/js/x.js"></script>' +
      '<form action="/logout"><input name="next" value="/index.php"></form><li data-nora-file="/api/projects/P/files/a.nii"></li>' +
      '<tr hx-get="&#x2F;table?x=1"></tr><a href="//cdn.example/x">x</a><a href="/godzilla/already">a</a><body data-nora-base="/">'
    const out = htmlWithBase(B, html)
    expect(out).toContain('href="/godzilla/profile"')
    expect(out).toContain('href="/godzilla/?project=P"')
    expect(out).toContain('src="/godzilla/static/js/x.js"')
    expect(out).toContain('action="/godzilla/logout"')
    expect(out).toContain('hx-get="/godzilla/table?x=1"')
    expect(out).toContain('value="/index.php"')
    expect(out).toContain('data-nora-file="/api/projects/P/files/a.nii"')
    expect(out).toContain('href="//cdn.example/x"')
    expect(out).toContain('href="/godzilla/already"')
    expect(out).toContain('data-nora-base="/godzilla/"')
  })

  test('session cookie path', () => {
    expect(cookieWithBase(B, 'nora_session=abc; Path=/; HttpOnly')).toBe('nora_session=abc; Path=/godzilla; HttpOnly')
  })

  test('redirects, cookies and pages of the app come back under the base', async () => {
    const res = await responseWithBase(B, new Response('<a href="/x">', { status: 303, headers: [['location', '/?project=P#case=1'], ['set-cookie', 'a=1; Path=/'], ['set-cookie', 'b=2; Path=/'], ['content-type', 'text/html; charset=utf-8']] }))
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/godzilla/?project=P#case=1')
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/godzilla', 'b=2; Path=/godzilla'])
    expect(await res.text()).toBe('<a href="/godzilla/x">')
  })

  test('the app sees paths without the prefix; outside it is 404, / redirects', async () => {
    const seen: string[] = []
    const peers = new WeakMap()
    const fetch = basePathFetch(B, (r) => (seen.push(new URL(r.url).pathname + new URL(r.url).search), new Response('ok')), peers)
    const peer = { requestIP: () => ({ address: '192.0.2.7', family: 'IPv4', port: 1 }) }
    expect((await fetch(new Request('http://h/godzilla/api/health?x=1'), peer)).status).toBe(200)
    expect(seen).toEqual(['/api/health?x=1'])
    expect((await fetch(new Request('http://h/api/health'), peer)).status).toBe(404)
    expect((await fetch(new Request('http://h/godzillax/api'), peer)).status).toBe(404)
    const root = await fetch(new Request('http://h/'), peer)
    expect([root.status, root.headers.get('location')]).toEqual([308, B])
    expect((await fetch(new Request('http://h/godzilla'), peer)).headers.get('location')).toBe(B)
  })
})
