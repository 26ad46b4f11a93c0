// Gridstats (Alpine CSP component "gridstats"): sort by a column, kill, suspend or resume a job, rerun the errors of a batch. The table
// itself is server-rendered and refreshed by htmx every 3 s (see templates/pages/gridstats.mustache).
import { api, byId, messageOf } from '../shared/dom'
import { alpineComponent } from '../shared/vendor'

const post = <T>(url: string) => api<T>('POST', url, {})

function refresh() {
  const form = byId('gs-form')
  if (form && window.htmx) window.htmx.trigger(form, 'change')
}

/** The direction a first click on a column sorts in: names and states A-Z, numbers and times newest/largest first. */
export function defaultDirection(key: string): 'asc' | 'desc' {
  return key === 'psid' || key === 'project' || key === 'state' ? 'asc' : 'desc'
}

alpineComponent('gridstats', () => ({
  message: '',
  rerunBatch: '',

  init() {
    const b = new URLSearchParams(location.search).get('batch')
    if (b) this.rerunBatch = b
  },

  sortBy(ev: Event) {
    const key = (ev.currentTarget as HTMLElement).dataset.sort ?? ''
    const sort = byId<HTMLInputElement>('gs-sort')!
    const dir = byId<HTMLInputElement>('gs-dir')!
    if (sort.value === key) dir.value = dir.value === 'asc' ? 'desc' : 'asc'
    else {
      sort.value = key
      dir.value = defaultDirection(key)
    }
    refresh()
  },

  async act(ev: Event) {
    const { id = '', action = '' } = (ev.currentTarget as HTMLElement).dataset
    try {
      const r = await post<{ id: string; state: string; reason: string }>(`/api/jobs/${encodeURIComponent(id)}/${encodeURIComponent(action)}`)
      this.message = `job ${r.id}: ${r.state} (${r.reason})`
    } catch (e) {
      this.message = `job ${id}: ${messageOf(e)}`
    }
    refresh()
  },

  async rerun() {
    const id = String(this.rerunBatch).trim()
    if (!/^\d+$/.test(id)) {
      this.message = 'give the number of the batch whose errors to rerun'
      return
    }
    try {
      const r = await post<{ batchId: number }>(`/api/batches/${id}/rerun-errors`)
      this.message = `batch ${r.batchId} reruns the errors of batch ${id}`
    } catch (e) {
      this.message = messageOf(e)
    }
    refresh()
  },
}))
