import { Elysia } from 'elysia'

/** What GET /api/health answers (503 when degraded). */
export interface HealthInfo {
  status: 'ok' | 'degraded'
  version: string
  database: { dialect: string; ok: boolean; error?: string }
  queue: string
  dicom: { enabled: boolean; aet: string; port: number; state: string }
}

/** GET /api/health: no auth; what `nora start` and `nora status` wait for. */
export function healthApi(d: { health(): Promise<HealthInfo> }) {
  return new Elysia().get('/api/health', async () => {
    const info = await d.health()
    return Response.json(info, { status: info.status === 'ok' ? 200 : 503, headers: { 'cache-control': 'no-store' } })
  })
}
