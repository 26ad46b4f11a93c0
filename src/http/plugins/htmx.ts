import { Elysia } from 'elysia'
import { html } from '../responses'
import { renderPage, renderRegion, type PageName } from '../templates'

/** Answers that differ with HX-Request are never stored, and caches keep them apart. */
export const NO_STORE = { vary: 'HX-Request', 'cache-control': 'no-store' }

/** An htmx request that swaps a part of the page (a boosted link wants the whole page). */
const isPartial = (request: Request) => request.headers.get('hx-request') === 'true' && request.headers.get('hx-boosted') !== 'true'

type Body = string | Promise<string>

/** Page-or-partial answers, as a handler sees them (`({ htmx }) => ...`). */
export interface Htmx {
  /** True when htmx asks for a part of the page (HX-Request, not boosted). */
  partial: boolean
  /**
   * The partial for htmx (always 200: htmx swaps only 2xx answers), else the whole page in the layout with
   * `status`. Only the one asked for is rendered.
   */
  answer(parts: { partial: () => Body; page: () => Body; status?: number }): Promise<Response>
  /** A page whose region is its partial: `renderRegion(name)` for htmx, `renderPage(name)` else. */
  pageOrRegion(name: PageName, view: Record<string, unknown>, status?: number): Promise<Response>
  /** A whole page (no-store). */
  page(name: PageName, view: Record<string, unknown>, status?: number): Response
  /** A fragment only htmx asks for (no-store). */
  fragment(body: string, headers?: Record<string, string>): Response
}

function htmxOf(request: Request): Htmx {
  const partial = isPartial(request)
  const answer: Htmx['answer'] = async (parts) => (partial ? html(await parts.partial(), 200, NO_STORE) : html(await parts.page(), parts.status ?? 200, NO_STORE))
  return {
    partial,
    answer,
    pageOrRegion: (name, view, status) => answer({ partial: () => renderRegion(name, view), page: () => renderPage(name, view), status }),
    page: (name, view, status = 200) => html(renderPage(name, view), status, NO_STORE),
    fragment: (body, headers = {}) => html(body, 200, { ...NO_STORE, ...headers }),
  }
}

/** The htmx plugin: gives every handler `htmx` (Htmx). */
export const htmxPlugin = new Elysia({ name: 'nora-htmx' }).derive({ as: 'global' }, ({ request }) => ({ htmx: htmxOf(request) }))
