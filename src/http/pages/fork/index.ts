import { Elysia, t } from 'elysia'
import type { ForkMode, ProjectAdmin } from '../../../archive/project-admin'
import type { Rights } from '../../../auth/rights'
import { NoraError } from '../../../core/errors'
import type { User } from '../../../core/types'
import type { AuthPlugin } from '../../plugins/auth'
import { htmxPlugin } from '../../plugins/htmx'
import { loginRedirect, redirect } from '../../responses'

export interface ForkPageDeps {
  auth: AuthPlugin
  siteName: string
  rights: Pick<Rights, 'visibleProjects'>
  projects: Pick<ProjectAdmin, 'fork'>
}

/**
 * The user menu's "Fork Project" (the seed's): a new project from one the caller may read, sharing (hard links) or
 * copying its files; the caller becomes the fork's admin and lands on it. The same ProjectAdmin.fork as the admin page.
 */
export function forkPages(d: ForkPageDeps) {
  const page = async (user: User, csrf: string | undefined, v: { project?: string; target?: string; copy?: boolean; error?: string }) => {
    const projects = (await d.rights.visibleProjects(user)).map((p) => ({ name: p.name, selected: p.name === v.project }))
    return { title: 'Fork project', site: d.siteName, user, csrf, projects, target: v.target ?? (v.project ? `${v.project}-fork` : ''), copy: v.copy ?? true, error: v.error }
  }
  return new Elysia()
    .use(d.auth)
    .use(htmxPlugin)
    .get(
      '/fork',
      async ({ request, auth, htmx, query }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        return htmx.page('fork', await page(caller.user, caller.csrfToken, { project: query.project }))
      },
      { query: t.Object({ project: t.Optional(t.String({ maxLength: 64 })) }) },
    )
    .post(
      '/fork',
      async ({ auth, htmx, body }) => {
        const user = await auth.user()
        const csrf = (await auth.caller())?.csrfToken
        try {
          const r = await d.projects.fork(user, body.project, body.target.trim(), body.mode as ForkMode)
          return redirect(`/?project=${encodeURIComponent(r.project.name)}`)
        } catch (e) {
          if (!(e instanceof NoraError) || e.status === 403) throw e
          return htmx.page('fork', await page(user, csrf, { project: body.project, target: body.target, copy: body.mode === 'copy', error: e.message }), e.status)
        }
      },
      { body: t.Object({ project: t.String({ maxLength: 64 }), target: t.String({ maxLength: 64 }), mode: t.String({ maxLength: 8 }), _csrf: t.Optional(t.String({ maxLength: 128 })) }) },
    )
}
