import { BlockList, isIP } from 'node:net'

/** What Bun's server tells about a request's peer (absent under app.handle). */
type PeerSource = { requestIP(r: Request): { address: string } | null } | null | undefined

/** An address as nora compares and counts it: IPv4-mapped IPv6 (`::ffff:192.0.2.1`) as plain IPv4; undefined if none. */
export function normalAddress(text: string | undefined): string | undefined {
  let a = text?.trim() ?? ''
  if (a.startsWith('[') && a.includes(']')) a = a.slice(1, a.indexOf(']')) // "[2001:db8::1]:443"
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a)) a = a.slice(0, a.indexOf(':')) // "192.0.2.1:51234"
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(a)
  if (mapped) a = mapped[1]!
  return isIP(a) ? a.toLowerCase() : undefined
}

/** The reverse proxies whose X-Forwarded-For nora believes (http.trustedProxies: addresses or CIDR ranges). */
export class TrustedProxies {
  private readonly list = new BlockList()
  readonly empty: boolean

  constructor(entries: readonly string[] = []) {
    this.empty = entries.length === 0
    for (const entry of entries) {
      const [host, bits] = entry.split('/')
      const addr = normalAddress(host)
      if (!addr) throw new Error(`http.trustedProxies: "${entry}" is not an address`)
      const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4'
      if (bits === undefined) this.list.addAddress(addr, type)
      else this.list.addSubnet(addr, Number(bits), type)
    }
  }

  trusts(address: string): boolean {
    const v = isIP(address)
    return !this.empty && v !== 0 && this.list.check(address, v === 6 ? 'ipv6' : 'ipv4')
  }
}

/**
 * The client behind a request: the socket's peer, unless that peer is a trusted proxy; then X-Forwarded-For is read
 * from the right (the hop the proxy itself appended) leftwards, past further trusted proxies, to the first address
 * that is not one. Hops to the left of it were written by the client and are never believed. With no trusted
 * proxies the header is ignored, so a client cannot choose the address its failed logins count against.
 */
export function forwardedClient(peer: string, forwardedFor: string | null, proxies: TrustedProxies): string {
  if (!proxies.trusts(peer) || !forwardedFor) return peer
  let client = peer
  const hops = forwardedFor.split(',')
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalAddress(hops[i])
    if (!hop) break // not an address: stay with the last hop a trusted proxy vouched for
    client = hop
    if (!proxies.trusts(hop)) break
  }
  return client
}

/** The address a request's failed logins count against ("local" when there is no socket, as under app.handle). */
export function clientAddress(request: Request, server: PeerSource, proxies: TrustedProxies = new TrustedProxies()): string {
  const raw = server?.requestIP(request)?.address
  const peer = normalAddress(raw) ?? raw ?? 'local'
  return forwardedClient(peer, request.headers.get('x-forwarded-for'), proxies)
}
