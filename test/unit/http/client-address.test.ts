import { describe, expect, test } from 'bun:test'
import { TrustedProxies, clientAddress, forwardedClient, normalAddress } from '../../../src/http/client-address'

const none = new TrustedProxies()
const proxy = new TrustedProxies(['127.0.0.1', '10.0.0.0/8', 'fd00::/8'])
/** Bun's server as the login route sees it: the socket's peer address. */
const peer = (address: string) => ({ requestIP: () => ({ address }) })
const req = (xff?: string) => new Request('http://nora.lab/login', { method: 'POST', headers: xff === undefined ? {} : { 'x-forwarded-for': xff } })

describe('normalAddress', () => {
  test('IPv4-mapped IPv6, ports and brackets are taken off; anything that is not an address is undefined', () => {
    expect(normalAddress('::ffff:192.0.2.1')).toBe('192.0.2.1')
    expect(normalAddress(' 192.0.2.1:51234 ')).toBe('192.0.2.1')
    expect(normalAddress('[2001:DB8::1]:443')).toBe('2001:db8::1')
    expect(normalAddress('2001:db8::1')).toBe('2001:db8::1')
    for (const bad of [undefined, '', 'unknown', 'evil.example', '192.0.2.300', '1.2.3.4; drop'])
      expect(normalAddress(bad)).toBeUndefined()
  })
})

describe('forwardedClient', () => {
  test('without trusted proxies X-Forwarded-For is ignored: the socket peer counts', () => {
    expect(forwardedClient('127.0.0.1', '203.0.113.9', none)).toBe('127.0.0.1')
    expect(clientAddress(req('203.0.113.9'), peer('127.0.0.1'))).toBe('127.0.0.1')
  })

  test('a peer that is not a trusted proxy cannot choose its address', () => {
    expect(forwardedClient('198.51.100.4', '203.0.113.9', proxy)).toBe('198.51.100.4')
  })

  test('from a trusted proxy the rightmost hop that is no trusted proxy is the client; hops left of it are not believed', () => {
    expect(forwardedClient('127.0.0.1', '203.0.113.9', proxy)).toBe('203.0.113.9')
    // The client wrote "1.1.1.1" itself; the proxy appended the address it saw.
    expect(forwardedClient('127.0.0.1', '1.1.1.1, 203.0.113.9', proxy)).toBe('203.0.113.9')
    // Two proxies in a row (10.1.2.3 is trusted by range).
    expect(forwardedClient('127.0.0.1', '1.1.1.1, 203.0.113.9, 10.1.2.3', proxy)).toBe('203.0.113.9')
    expect(forwardedClient('fd00::5', '2001:db8::7', proxy)).toBe('2001:db8::7')
    // IPv4-mapped forms count as the IPv4 address.
    expect(forwardedClient('::ffff:127.0.0.1', '203.0.113.9', proxy)).toBe('203.0.113.9')
  })

  test('no header, or a hop that is not an address: the last address a trusted proxy vouched for', () => {
    expect(forwardedClient('127.0.0.1', null, proxy)).toBe('127.0.0.1')
    expect(forwardedClient('127.0.0.1', 'garbage', proxy)).toBe('127.0.0.1')
    expect(forwardedClient('127.0.0.1', '203.0.113.9, garbage', proxy)).toBe('127.0.0.1')
    expect(forwardedClient('127.0.0.1', 'garbage, 10.0.0.2', proxy)).toBe('10.0.0.2')
  })

  test('clientAddress reads the socket through the server; under app.handle (no server) it is "local"', () => {
    expect(clientAddress(req('203.0.113.9'), peer('::ffff:127.0.0.1'), proxy)).toBe('203.0.113.9')
    expect(clientAddress(req(), peer('192.0.2.5'), proxy)).toBe('192.0.2.5')
    expect(clientAddress(req('203.0.113.9'), null, proxy)).toBe('local')
  })

  test('an entry that is not an address or range is refused when the list is built', () => {
    expect(() => new TrustedProxies(['proxy.lab'])).toThrow(/not an address/)
  })
})
