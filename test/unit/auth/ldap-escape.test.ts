import { describe, expect, test } from 'bun:test'
import { mappedGrants } from '../../../src/auth/ldap-accounts'
import { escapeDnValue, escapeFilterValue, fillTemplate, normalizeDn } from '../../../src/auth/ldap-escape'
import { ldapConfRule } from '../../../src/config/ldap-conf'

describe('escaping for LDAP (reference values: the examples of RFC 4514 section 4 and RFC 4515 section 4)', () => {
  test('filter values (RFC 4515)', () => {
    expect(escapeFilterValue('Parens R Us (for all your parenthetical needs)')).toBe('Parens R Us \\28for all your parenthetical needs\\29')
    expect(escapeFilterValue('*')).toBe('\\2a')
    expect(escapeFilterValue('C:\\MyFile')).toBe('C:\\5cMyFile')
    expect(escapeFilterValue('Lučić')).toBe('Lučić')
    expect(escapeFilterValue('*)(uid=*')).toBe('\\2a\\29\\28uid=\\2a')
    expect(escapeFilterValue('a\0b')).toBe('a\\00b')
  })
  test('DN values (RFC 4514)', () => {
    expect(escapeDnValue('James "Jim" Smith, III')).toBe('James \\"Jim\\" Smith\\, III')
    expect(escapeDnValue(' Before')).toBe('\\ Before')
    expect(escapeDnValue('After ')).toBe('After\\ ')
    expect(escapeDnValue('#hash')).toBe('\\#hash')
    expect(escapeDnValue('a+b=c;d<e>f\\g')).toBe('a\\+b\\=c\\;d\\<e\\>f\\\\g')
    expect(escapeDnValue('x\0y')).toBe('x\\00y')
    expect(escapeDnValue('bob,ou=people')).toBe('bob\\,ou\\=people')
  })
  test('templates escape each value; DNs compare without case and spaces', () => {
    expect(fillTemplate('uid={user},ou=people', { user: 'a,b' }, escapeDnValue)).toBe('uid=a\\,b,ou=people')
    expect(fillTemplate('(|(member={dn})(memberUid={user}))', { dn: 'uid=x(1)', user: '*' }, escapeFilterValue)).toBe('(|(member=uid=x\\281\\29)(memberUid=\\2a))')
    expect(normalizeDn('CN=Lab, OU=Groups,dc=Example')).toBe('cn=lab,ou=groups,dc=example')
  })
})

describe('auth.ldap', () => {
  const parse = (v: object) => ldapConfRule.parse(v, 'auth.ldap')
  test('off by default; a url needs a bind template or a search base', () => {
    expect(parse({}).url).toBe('')
    expect(() => parse({ url: 'ldap://dc1' })).toThrow('auth.ldap: set bindDn to a template with {user}')
    expect(parse({ url: 'ldap://dc1', bindDn: 'uid={user},dc=x' }).timeoutMs).toBe(5000)
    expect(() => parse({ url: 'http://dc1', searchBase: 'dc=x' })).toThrow('auth.ldap.url: expected an LDAP URL')
    expect(() => parse({ url: 'ldaps://dc1', searchBase: 'dc=x', startTls: true })).toThrow('ldaps:// is TLS already')
    expect(() => parse({ url: 'ldap://dc1', searchBase: 'dc=x', groupMap: { 'cn=a': { projects: { P: 'owner' } } } })).toThrow('auth.ldap.groupMap.cn=a.projects.P')
  })
  test('groupMap: highest role per project, site admin only when some group maps it', () => {
    const map = parse({ url: 'ldap://dc1', searchBase: 'dc=x', groupMap: { 'cn=admins,dc=x': { siteAdmin: true }, 'cn=lab,dc=x': { projects: { P: 'write', Q: 'read' } }, 'cn=ro,dc=x': { projects: { P: 'read' } } } }).groupMap
    expect(mappedGrants(map, ['CN=Lab, dc=x', 'cn=ro,dc=x'])).toEqual({ siteAdmin: false, projects: new Map([['P', 'write'], ['Q', 'read']]) })
    expect(mappedGrants(map, ['cn=admins,dc=x'])).toEqual({ siteAdmin: true, projects: new Map([['P', undefined], ['Q', undefined]]) })
    expect(mappedGrants({}, ['cn=admins,dc=x']).siteAdmin).toBeUndefined()
  })
})
