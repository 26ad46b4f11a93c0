import { Elysia, t } from 'elysia'
import { NoraError, UsageError } from '../../../core/errors'
import type { User } from '../../../core/types'
import { QUERY_KEYS, type FindRequest, type FindView, type PacsQuery } from '../../../pacs/find-view'
import type { PullService } from '../../../pacs/pull-service'
import { levelOf } from '../../api/pacs/model'
import type { AuthPlugin } from '../../plugins/auth'
import { htmxPlugin, NO_STORE, type Htmx } from '../../plugins/htmx'
import { html, loginRedirect, redirect } from '../../responses'
import { renderPage, renderPartial, renderRegion } from '../../templates'
import { pageBase, pullView, resultsView, studyDateOf, type PacsForm } from './pacs-view'

const str = (max: number) => t.Optional(t.String({ maxLength: max }))
const formQuery = t.Object({
  node: str(64),
  level: str(16),
  project: str(64),
  search: str(4),
  StudyDateFrom: str(10),
  StudyDateTo: str(10),
  ...Object.fromEntries(QUERY_KEYS.map((k) => [k, str(128)])),
})
const errorText = (e: unknown) => {
  if (e instanceof NoraError) return e.message
  console.error(e)
  return 'internal error; the server log has the details'
}

/**
 * The "PACS query" page: search form, result table, selection, pull into a project and the pulls' live progress.
 *
 * - `GET /pacs?search=1&node=&level=&PatientName=&...&StudyDateFrom=&StudyDateTo=&project=`: the page, with
 *   `HX-Request` its region alone (what the search form swaps in). A failed search shows its reason in the page.
 * - `POST /pacs/pulls` (form: node, project, study=UID...): starts a pull; answers with its progress partial.
 * - `GET /pacs/pulls/:id`: one pull's progress partial (polled every second while it runs); `GET /pacs/pulls`: the list.
 * - `POST /pacs/pulls/:id/cancel`.
 */
export function pacsPages(d: {
  auth: AuthPlugin
  siteName: string
  pacsQuery: Pick<PacsQuery, 'requireQueryRight' | 'nodes' | 'writableProjects' | 'find' | 'studies'>
  pulls: Pick<PullService, 'list' | 'create' | 'get' | 'cancel'>
}) {
  const recentPulls = async (user: User) => {
    const pulls = await d.pulls.list(user)
    return pulls
      .sort((a, b) => b.id - a.id)
      .slice(0, 15)
      .map(pullView)
  }

  const page = async (htmx: Htmx, user: User, csrf: string | undefined, form: PacsForm, extra: { pull?: ReturnType<typeof pullView> } = {}) => {
    await d.pacsQuery.requireQueryRight(user)
    const nodes = d.pacsQuery.nodes()
    const writable = await d.pacsQuery.writableProjects(user)
    const projects = writable.map((w) => ({ name: w.project.name, pseudonymize: w.pseudonymize }))
    const allowUnmasked = user.isSiteAdmin || writable.some((w) => !w.pseudonymize)
    const node = form.node || nodes[0]?.name
    const levelWord = (form.level || 'study').toLowerCase()
    const project = form.project || (allowUnmasked ? undefined : projects[0]?.name)
    let view: FindView | undefined
    let error: string | undefined
    let status = 200
    if (form.search && node) {
      try {
        const keys: FindRequest['keys'] = {}
        for (const k of QUERY_KEYS) if (form[k]) keys[k] = form[k]
        const date = studyDateOf(form)
        if (date) keys.StudyDate = date
        view = await d.pacsQuery.find(user, { node, level: levelOf(levelWord), keys, project })
      } catch (e) {
        error = errorText(e)
        status = e instanceof NoraError ? e.status : 500
      }
    }
    const model = {
      ...pageBase(d.siteName, user, csrf),
      nodes: nodes.map((n) => ({ ...n, selected: n.name === node })),
      levels: ['patient', 'study', 'series'].map((value) => ({ value, selected: value === levelWord })),
      projects: projects.map((p) => ({ ...p, selected: p.name === project })),
      allowUnmasked,
      form: { ...form, StudyDateFrom: form.StudyDateFrom ?? '', StudyDateTo: form.StudyDateTo ?? '' },
      view: view && resultsView(view, projects, csrf),
      error,
      pull: extra.pull,
      pulls: await recentPulls(user),
    }
    // htmx swaps only 2xx answers: a failed search comes back as 200 with its reason in the region.
    return htmx.answer({ partial: () => renderRegion('pacs', model), page: () => renderPage('pacs', model), status })
  }

  const pullPartial = (pull: ReturnType<typeof pullView>, changed: boolean) =>
    html(renderPartial('pacs-pull', pull), 200, { ...NO_STORE, ...(changed ? { 'hx-trigger': 'pacs-pulls-changed' } : {}) })
  const errorPartial = (e: unknown) => html(`<p class="error" role="alert">${Bun.escapeHTML(errorText(e))}</p>`, 200, NO_STORE)

  return new Elysia()
    .use(d.auth)
    .use(htmxPlugin)
    .get(
      '/pacs',
      async ({ request, auth, htmx, query }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        return page(htmx, caller.user, caller.csrfToken, query)
      },
      { query: formQuery },
    )
    .post(
      '/pacs/pulls',
      async ({ request, auth, htmx, body }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        try {
          const uids = [...new Set([body.study ?? []].flat().filter(Boolean))]
          if (uids.length === 0) throw new UsageError('select at least one study to pull')
          // The studies as the PACS and the target project see them: expected instance counts for the check after
          // the move, and patient IDs already pseudonymised when the project stores pseudonyms.
          const found = await d.pacsQuery.studies(caller.user, body.node, uids, body.project)
          const byUid = new Map(found.results.map((r) => [r.StudyInstanceUID, r]))
          const studies = uids.map((uid) => {
            const r = byUid.get(uid)
            const n = Number.parseInt(r?.NumberOfStudyRelatedInstances ?? '', 10)
            return { studyInstanceUid: uid, ...(Number.isFinite(n) ? { expectedInstances: n } : {}), patientId: r?.PatientID ?? '', description: r?.StudyDescription ?? '' }
          })
          const pull = await d.pulls.create(caller.user, { node: body.node, project: body.project, studies })
          if (!htmx.partial) return redirect(`/pacs/pulls/${pull.id}`)
          return pullPartial(pullView(pull), true)
        } catch (e) {
          if (!htmx.partial) throw e
          return errorPartial(e)
        }
      },
      {
        body: t.Object({
          node: t.String({ minLength: 1, maxLength: 64 }),
          project: t.String({ minLength: 1, maxLength: 64 }),
          study: t.Optional(t.Union([t.String({ maxLength: 64, pattern: '^[0-9.]+$' }), t.Array(t.String({ maxLength: 64, pattern: '^[0-9.]+$' }), { maxItems: 10000 })])),
          _csrf: t.Optional(t.String()),
        }),
      },
    )
    .get('/pacs/pulls', async ({ request, auth, htmx }) => {
      const caller = await auth.caller()
      if (!caller) return loginRedirect(request)
      if (htmx.partial) return htmx.fragment(renderPartial('pacs-pulls', { pulls: await recentPulls(caller.user) }))
      return page(htmx, caller.user, caller.csrfToken, {})
    })
    .get(
      '/pacs/pulls/:id',
      async ({ request, auth, htmx, params }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        const pull = pullView(await d.pulls.get(caller.user, params.id))
        if (htmx.partial) return pullPartial(pull, !pull.running)
        return page(htmx, caller.user, caller.csrfToken, {}, { pull })
      },
      { params: t.Object({ id: t.Numeric() }) },
    )
    .post(
      '/pacs/pulls/:id/cancel',
      async ({ request, auth, htmx, params }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        try {
          return pullPartial(pullView(await d.pulls.cancel(caller.user, params.id)), true)
        } catch (e) {
          if (!htmx.partial) throw e
          return errorPartial(e)
        }
      },
      { params: t.Object({ id: t.Numeric() }) },
    )
}
