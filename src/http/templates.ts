import Mustache from 'mustache'
import { assetUrl, withHashedAssets } from './static-assets'
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
import profile from '../../templates/pages/profile.mustache' with { type: 'text' }
import notifications from '../../templates/pages/notifications.mustache' with { type: 'text' }
import notificationsMenu from '../../templates/partials/notifications/menu.mustache' with { type: 'text' }
import adminUsers from '../../templates/pages/admin-users.mustache' with { type: 'text' }
import adminProjects from '../../templates/pages/admin-projects.mustache' with { type: 'text' }
import adminLog from '../../templates/pages/admin-log.mustache' with { type: 'text' }
import adminSettings from '../../templates/pages/admin-settings.mustache' with { type: 'text' }
import adminNav from '../../templates/partials/admin/nav.mustache' with { type: 'text' }
import fork from '../../templates/pages/fork.mustache' with { type: 'text' }

/**
 * Server-rendered templates (mustache: `{{x}}` always escapes, and templates hold no code). Imported as text so
 * that `bun build --compile` embeds them in the binary.
 */
const PAGES = { login, desktop, error: errorPage, pacs, batchtool, gridstats, profile, notifications, 'admin-users': adminUsers, 'admin-projects': adminProjects, 'admin-log': adminLog, 'admin-settings': adminSettings, fork } as const
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
  'notifications-menu': notificationsMenu,
  'admin-nav': adminNav,
}

export type PageName = keyof typeof PAGES

/** A whole page inside the base layout. */
export function renderPage(page: PageName, view: Record<string, unknown>): string {
  // Page scripts given as data are escaped by mustache ("/" -> "&#x2F;"): hash them before rendering.
  const scripts = Array.isArray(view.pageScripts) ? { pageScripts: (view.pageScripts as string[]).map(assetUrl) } : {}
  return withHashedAssets(Mustache.render(base, { ...view, ...scripts }, { ...PARTIALS, content: PAGES[page] }))
}

/** The region a page includes, alone: what an htmx request gets. */
export function renderRegion(page: PageName, view: Record<string, unknown>): string {
  return withHashedAssets(Mustache.render(PAGES[page], view, PARTIALS))
}

export function renderPartial(name: keyof typeof PARTIALS & string, view: Record<string, unknown>): string {
  return withHashedAssets(Mustache.render(PARTIALS[name]!, view, PARTIALS))
}
