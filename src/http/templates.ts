import Mustache from 'mustache'
import base from '../../templates/layouts/base.mustache' with { type: 'text' }
import desktop from '../../templates/pages/desktop.mustache' with { type: 'text' }
import errorPage from '../../templates/pages/error.mustache' with { type: 'text' }
import login from '../../templates/pages/login.mustache' with { type: 'text' }
import projectList from '../../templates/partials/desktop/project-list.mustache' with { type: 'text' }
import tableCols from '../../templates/partials/table/cols.mustache' with { type: 'text' }
import fileTree from '../../templates/partials/table/file-tree.mustache' with { type: 'text' }
import tableRegion from '../../templates/partials/table/region.mustache' with { type: 'text' }
import tableResults from '../../templates/partials/table/results.mustache' with { type: 'text' }

/**
 * Server-rendered templates (mustache: `{{x}}` always escapes, and templates hold no code). Imported as text so
 * that `bun build --compile` embeds them in the binary.
 */
const PAGES = { login, desktop, error: errorPage } as const
const PARTIALS: Record<string, string> = {
  'project-list': projectList,
  'table-region': tableRegion,
  'table-results': tableResults,
  'table-cols': tableCols,
  'file-tree': fileTree,
}

export type PageName = keyof typeof PAGES

/** A whole page inside the base layout. */
export function renderPage(page: PageName, view: Record<string, unknown>): string {
  return Mustache.render(base, view, { ...PARTIALS, content: PAGES[page] })
}

/** The region a page includes, alone: what an htmx request gets. */
export function renderRegion(page: PageName, view: Record<string, unknown>): string {
  return Mustache.render(PAGES[page], view, PARTIALS)
}

export function renderPartial(name: keyof typeof PARTIALS & string, view: Record<string, unknown>): string {
  return Mustache.render(PARTIALS[name]!, view, PARTIALS)
}
