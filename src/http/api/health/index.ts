import { Elysia } from 'elysia'
import type { HttpDeps } from '../../deps'

/** GET /api/health: no auth; what `nora start` and `nora status` wait for. */
export function healthApi(deps: HttpDeps) {
  return new Elysia().get('/api/health', async () => {
    const info = await deps.health()
    return Response.json(info, { status: info.status === 'ok' ? 200 : 503, headers: { 'cache-control': 'no-store' } })
  })
}
