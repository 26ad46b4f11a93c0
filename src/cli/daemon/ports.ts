/** True if nothing listens on host:port (we can bind it ourselves). */
export async function portFree(host: string, port: number): Promise<boolean> {
  try {
    const s = Bun.listen({ hostname: host, port, socket: { data() {} } })
    s.stop(true)
    return true
  } catch {
    return false
  }
}

/** The server's URL: publicUrl when set (it names the base path itself), else http://host:port/ and http.basePath. */
export function httpUrl(host: string, port: number, publicUrl = '', basePath = '/'): string {
  if (publicUrl) return publicUrl
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  const inner = basePath.trim().replace(/^\/+|\/+$/g, '')
  return `http://${h}:${port}/${inner ? `${inner}/` : ''}`
}

/** GET /api/health; undefined when nothing answers. */
export async function fetchHealth(url: string, timeoutMs = 2000): Promise<Record<string, unknown> | undefined> {
  try {
    const r = await fetch(new URL('api/health', url), { signal: AbortSignal.timeout(timeoutMs) })
    return (await r.json()) as Record<string, unknown>
  } catch {
    return undefined
  }
}
