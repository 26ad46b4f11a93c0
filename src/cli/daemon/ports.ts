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

export function httpUrl(host: string, port: number, publicUrl = ''): string {
  if (publicUrl) return publicUrl
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  return `http://${h}:${port}/`
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
