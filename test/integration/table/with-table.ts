import type { HttpDeps } from '../../../src/http/deps'
import type { NoraApp } from '../../../src/http/create-app'
import { tablePages } from '../../../src/http/pages/table'

export const TABLE_ROUTE = '/projects/:project/table'

/**
 * The app with the table pages: createApp wires `tablePages(deps)` itself once the composition lands; until then
 * the tests add it here. Either way the routes run under createApp's error mapping and security headers.
 */
export function withTablePages<A extends NoraApp>(app: A, deps: HttpDeps): A {
  if (!app.routes.some((r) => r.path === TABLE_ROUTE)) app.use(tablePages(deps))
  return app
}
