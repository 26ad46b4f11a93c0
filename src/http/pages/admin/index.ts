import { Elysia, t } from 'elysia'
import type { ArchiveService } from '../../../archive/archive-service'
import type { ProjectAdmin } from '../../../archive/project-admin'
import type { UsersService } from '../../../auth/users-service'
import type { SiteSettings } from '../../../config/site-settings'
import { ForbiddenError, NoraError, UsageError } from '../../../core/errors'
import { ROLES, type User } from '../../../core/types'
import type { AuthPlugin, RequestAuth } from '../../plugins/auth'
import { htmxPlugin } from '../../plugins/htmx'
import { html, loginRedirect, redirect } from '../../responses'
import { renderPage, type PageName } from '../../templates'
import { searchLog } from './log-search'
import { noticeOf, settingRow, userRow } from './view'

export interface AdminDeps {
  auth: AuthPlugin
  siteName: string
  users: Pick<UsersService, 'list' | 'rightsOf' | 'add' | 'disable' | 'enable' | 'setPassword' | 'grant' | 'revoke'>
  /** The address notification mails go to. */
  setEmail: (userId: number, email: string) => Promise<void>
  archive: Pick<ArchiveService, 'createProject'>
  projects: Pick<ProjectAdmin, 'list' | 'describe' | 'trash' | 'fork'>
  settings: Pick<SiteSettings, 'list' | 'set' | 'reset'>
  /** data/logs/nora.log */
  logFile: string
}

type Tab = 'users' | 'projects' | 'log' | 'settings'
const ADDRESS = /^[^\s@<>"',;]{1,64}@[A-Za-z0-9.-]{1,253}$/
const csrfField = t.Optional(t.String({ maxLength: 128 }))
const nameParam = t.Object({ name: t.String({ maxLength: 64 }) })
const userParam = t.Object({ username: t.String({ maxLength: 64 }) })

/**
 * The admin pages (site admins only; everyone else 403, anonymous to the login): users (create, disable/enable,
 * reset password, rights per project), projects (create, describe, fork, delete to the trash), the server log with
 * search, and the settings that change without a restart. Every form posts with the session's CSRF token (checked
 * for all POSTs in create-app.ts); each action uses the same services as `nora --admin` and the project commands.
 */
export function adminPages(d: AdminDeps) {
  /** The caller, who must be a site admin. */
  const admin = async (auth: RequestAuth): Promise<{ user: User; csrf?: string }> => {
    const caller = await auth.caller()
    const user = await auth.user()
    if (!user.isSiteAdmin) throw new ForbiddenError('the admin pages are for site admins; ask one to give you what you need')
    return { user, csrf: caller?.csrfToken }
  }
  const show = (name: PageName, tab: Tab, user: User, csrf: string | undefined, view: Record<string, unknown>, status = 200) =>
    html(renderPage(name, { title: 'Administration', site: d.siteName, user, csrf, [`tab${tab[0]!.toUpperCase()}${tab.slice(1)}`]: true, ...view }), status, { 'cache-control': 'no-store' })

  const usersPage = async (user: User, csrf: string | undefined, extra: Record<string, unknown> = {}, status = 200) => {
    const list = await d.users.list()
    const rows = await Promise.all(list.map(async (u) => userRow(u, await d.users.rightsOf(u), user)))
    return show('admin-users', 'users', user, csrf, { users: rows, projects: await d.projects.list(user), roles: ROLES, ...extra }, status)
  }
  const projectsPage = async (user: User, csrf: string | undefined, extra: Record<string, unknown> = {}, status = 200) => show('admin-projects', 'projects', user, csrf, { projects: await d.projects.list(user), ...extra }, status)
  const settingsPage = async (user: User, csrf: string | undefined, extra: Record<string, unknown> = {}, status = 200) => show('admin-settings', 'settings', user, csrf, { settings: (await d.settings.list()).map(settingRow), ...extra }, status)

  /** Runs an action; a NoraError shows the tab again with its message (and status), else back to the tab with a notice. */
  const act = async (auth: RequestAuth, tab: 'users' | 'projects' | 'settings', fn: (user: User) => Promise<string | Response>) => {
    const { user, csrf } = await admin(auth)
    try {
      const out = await fn(user)
      if (out instanceof Response) return out
      return redirect(`/admin/${tab}?done=${encodeURIComponent(out)}`)
    } catch (e) {
      if (!(e instanceof NoraError) || e instanceof ForbiddenError) throw e
      const page = tab === 'users' ? usersPage : tab === 'projects' ? projectsPage : settingsPage
      return page(user, csrf, { error: e.message }, e.status)
    }
  }

  return new Elysia()
    .use(d.auth)
    .use(htmxPlugin)
    .get('/admin', async ({ request, auth }) => {
      if (!(await auth.caller())) return loginRedirect(request)
      await admin(auth)
      return redirect('/admin/users')
    })
    .get(
      '/admin/users',
      async ({ request, auth, query }) => {
        if (!(await auth.caller())) return loginRedirect(request)
        const { user, csrf } = await admin(auth)
        return usersPage(user, csrf, { notice: noticeOf(query.done) })
      },
      { query: t.Object({ done: t.Optional(t.String({ maxLength: 200 })) }) },
    )
    .post(
      '/admin/users',
      ({ auth, body }) =>
        act(auth, 'users', async (actor) => {
          const email = body.email?.trim() ?? ''
          if (email && !ADDRESS.test(email)) throw new UsageError(`"${email}" is not a mail address (name@host)`)
          const { user, password } = await d.users.add(body.username.trim(), { password: body.password || undefined, siteAdmin: body.siteAdmin === 'on' })
          if (email) await d.setEmail(user.id, email)
          if (body.password) return `created:${user.username}`
          return usersPage(actor, (await admin(auth)).csrf, { notice: `User "${user.username}" created.`, newPassword: { username: user.username, password } })
        }),
      { body: t.Object({ username: t.String({ maxLength: 64 }), password: t.Optional(t.String({ maxLength: 1024 })), email: t.Optional(t.String({ maxLength: 320 })), siteAdmin: t.Optional(t.String({ maxLength: 8 })), _csrf: csrfField }) },
    )
    .post(
      '/admin/users/:username/disable',
      ({ auth, params }) =>
        act(auth, 'users', async (actor) => {
          if (actor.username === params.username) throw new UsageError(`"${actor.username}" cannot disable itself; another site admin (or the console) can`)
          await d.users.disable(params.username)
          return `disabled:${params.username}`
        }),
      { params: userParam, body: t.Optional(t.Object({ _csrf: csrfField })) },
    )
    .post(
      '/admin/users/:username/enable',
      ({ auth, params }) =>
        act(auth, 'users', async () => {
          await d.users.enable(params.username)
          return `enabled:${params.username}`
        }),
      { params: userParam, body: t.Optional(t.Object({ _csrf: csrfField })) },
    )
    .post(
      '/admin/users/:username/password',
      ({ auth, params }) =>
        act(auth, 'users', async (actor) => {
          const r = await d.users.setPassword(params.username)
          return usersPage(actor, (await admin(auth)).csrf, { notice: `New password for "${params.username}"; ${r.sessions} session(s) ended.`, newPassword: { username: params.username, password: r.password } })
        }),
      { params: userParam, body: t.Optional(t.Object({ _csrf: csrfField })) },
    )
    .post(
      '/admin/users/:username/grant',
      ({ auth, params, body }) =>
        act(auth, 'users', async () => {
          await d.users.grant(params.username, body.project, body.role)
          return `granted:${params.username}:${body.role}:${body.project}`
        }),
      { params: userParam, body: t.Object({ project: t.String({ maxLength: 64 }), role: t.String({ maxLength: 8 }), _csrf: csrfField }) },
    )
    .post(
      '/admin/users/:username/revoke',
      ({ auth, params, body }) =>
        act(auth, 'users', async () => {
          await d.users.revoke(params.username, body.project)
          return `revoked:${params.username}:${body.project}`
        }),
      { params: userParam, body: t.Object({ project: t.String({ maxLength: 64 }), _csrf: csrfField }) },
    )
    .get(
      '/admin/projects',
      async ({ request, auth, query }) => {
        if (!(await auth.caller())) return loginRedirect(request)
        const { user, csrf } = await admin(auth)
        return projectsPage(user, csrf, { notice: noticeOf(query.done) })
      },
      { query: t.Object({ done: t.Optional(t.String({ maxLength: 200 })) }) },
    )
    .post(
      '/admin/projects',
      ({ auth, body }) =>
        act(auth, 'projects', async (actor) => {
          const p = await d.archive.createProject(actor, body.name.trim(), body.description?.trim() ?? '')
          return `project-created:${p.name}`
        }),
      { body: t.Object({ name: t.String({ maxLength: 64 }), description: t.Optional(t.String({ maxLength: 2000 })), _csrf: csrfField }) },
    )
    .post(
      '/admin/projects/:name/describe',
      ({ auth, params, body }) =>
        act(auth, 'projects', async (actor) => {
          await d.projects.describe(actor, params.name, body.description.trim())
          return `described:${params.name}`
        }),
      { params: nameParam, body: t.Object({ description: t.String({ maxLength: 2000 }), _csrf: csrfField }) },
    )
    .post(
      '/admin/projects/:name/fork',
      ({ auth, params, body }) =>
        act(auth, 'projects', async (actor) => {
          if (body.mode !== 'share' && body.mode !== 'copy') throw new UsageError(`fork mode "${body.mode}": say share or copy`)
          const r = await d.projects.fork(actor, params.name, body.target.trim(), body.mode)
          return `forked:${params.name}:${r.project.name}:${r.files}`
        }),
      { params: nameParam, body: t.Object({ target: t.String({ maxLength: 64 }), mode: t.String({ maxLength: 8 }), _csrf: csrfField }) },
    )
    .post(
      '/admin/projects/:name/trash',
      ({ auth, params, body }) =>
        act(auth, 'projects', async (actor) => {
          if (body.confirm.trim() !== params.name) throw new UsageError(`type the project's name "${params.name}" to delete it`)
          await d.projects.trash(actor, params.name)
          return `trashed:${params.name}`
        }),
      { params: nameParam, body: t.Object({ confirm: t.String({ maxLength: 64 }), _csrf: csrfField }) },
    )
    .get(
      '/admin/log',
      async ({ request, auth, query }) => {
        if (!(await auth.caller())) return loginRedirect(request)
        const { user, csrf } = await admin(auth)
        const q = query.q ?? ''
        const found = searchLog(d.logFile, q)
        // One text: the layout indents a template's lines, which a <pre> would show.
        return show('admin-log', 'log', user, csrf, { q, file: 'data/logs/nora.log', info: found.info, text: found.lines.map((l) => `${l}\n`).join('') })
      },
      { query: t.Object({ q: t.Optional(t.String({ maxLength: 200 })) }) },
    )
    .get(
      '/admin/settings',
      async ({ request, auth, query }) => {
        if (!(await auth.caller())) return loginRedirect(request)
        const { user, csrf } = await admin(auth)
        return settingsPage(user, csrf, { notice: noticeOf(query.done) })
      },
      { query: t.Object({ done: t.Optional(t.String({ maxLength: 200 })) }) },
    )
    .post(
      '/admin/settings',
      ({ auth, body }) =>
        act(auth, 'settings', async (actor) => {
          await d.settings.set(body.name, body.value, actor.username)
          return `setting:${body.name}`
        }),
      { body: t.Object({ name: t.String({ maxLength: 64 }), value: t.String({ maxLength: 1024 }), _csrf: csrfField }) },
    )
    .post(
      '/admin/settings/reset',
      ({ auth, body }) =>
        act(auth, 'settings', async () => {
          await d.settings.reset(body.name)
          return `setting-reset:${body.name}`
        }),
      { body: t.Object({ name: t.String({ maxLength: 64 }), _csrf: csrfField }) },
    )
}
