import Mustache from 'mustache'
import base from '../../templates/layouts/base.mustache' with { type: 'text' }
import desktop from '../../templates/pages/desktop.mustache' with { type: 'text' }
import errorPage from '../../templates/pages/error.mustache' with { type: 'text' }
import login from '../../templates/pages/login.mustache' with { type: 'text' }
import pacs from '../../templates/pages/pacs.mustache' with { type: 'text' }
import pacsPull from '../../templates/partials/pacs/pull.mustache' with { type: 'text' }
import pacsPulls from '../../templates/partials/pacs/pulls.mustache' with { type: 'text' }
import pacsResults from '../../templates/partials/pacs/results.mustache' with { type: 'text' }
import projectList from '../../templates/partials/desktop/project-list.mustache' with { type: 'text' }
import tableCols from '../../templates/partials/table/cols.mustache' with { type: 'text' }
import fileTree from '../../templates/partials/table/file-tree.mustache' with { type: 'text' }
import tableRegion from '../../templates/partials/table/region.mustache' with { type: 'text' }
import tableResults from '../../templates/partials/table/results.mustache' with { type: 'text' }
import viewerRegion from '../../templates/partials/viewer/region.mustache' with { type: 'text' }
import tableMenus from '../../templates/partials/table/menus.mustache' with { type: 'text' }
import desktopUpload from '../../templates/partials/desktop/upload.mustache' with { type: 'text' }
import batchtool from '../../templates/pages/batchtool.mustache' with { type: 'text' }
import gridstats from '../../templates/pages/gridstats.mustache' with { type: 'text' }
import jobsRows from '../../templates/partials/jobs/rows.mustache' with { type: 'text' }

/**
 * Server-rendered templates (mustache: `{{x}}` always escapes, and templates hold no code). Imported as text so
 * that `bun build --compile` embeds them in the binary.
 */
const PAGES = { login, desktop, error: errorPage, pacs, batchtool, gridstats } as const
const PARTIALS: Record<string, string> = {
  'project-list': projectList,
  'table-region': tableRegion,
  'table-results': tableResults,
  'table-cols': tableCols,
  'file-tree': fileTree,
  'viewer-region': viewerRegion,
  'table-menus': tableMenus,
  'desktop-upload': desktopUpload,
  'pacs-results': pacsResults,
  'pacs-pull': pacsPull,
  'pacs-pulls': pacsPulls,
  'jobs-rows': jobsRows,
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
