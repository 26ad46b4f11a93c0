// Gridstats (Alpine CSP component "gridstats"): sort by a column, kill, suspend or resume a job, rerun the errors of a batch. The table
// itself is server-rendered and refreshed by htmx every 3 s (see templates/pages/gridstats.mustache).
;(function () {
  async function post(url, body) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': document.body.dataset.csrf || '' },
      body: JSON.stringify(body || {}),
      credentials: 'same-origin',
    })
    const data = await res.json().catch(() => ({}))
    if (!res.ok) throw new Error(data.error || `${res.status} ${res.statusText}`)
    return data
  }

  function refresh() {
    const form = document.getElementById('gs-form')
    if (form && window.htmx) window.htmx.trigger(form, 'change')
  }

  document.addEventListener('alpine:init', () => {
    window.Alpine.data('gridstats', () => ({
      message: '',
      rerunBatch: '',

      init() {
        const b = new URLSearchParams(location.search).get('batch')
        if (b) this.rerunBatch = b
      },

      sortBy(ev) {
        const key = ev.currentTarget.dataset.sort
        const sort = document.getElementById('gs-sort')
        const dir = document.getElementById('gs-dir')
        if (sort.value === key) dir.value = dir.value === 'asc' ? 'desc' : 'asc'
        else {
          sort.value = key
          dir.value = key === 'psid' || key === 'project' || key === 'state' ? 'asc' : 'desc'
        }
        refresh()
      },

      async act(ev) {
        const { id, action } = ev.currentTarget.dataset
        try {
          const r = await post(`/api/jobs/${encodeURIComponent(id)}/${encodeURIComponent(action)}`)
          this.message = `job ${r.id}: ${r.state} (${r.reason})`
        } catch (e) {
          this.message = `job ${id}: ${e.message}`
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
          const r = await post(`/api/batches/${id}/rerun-errors`)
          this.message = `batch ${r.batchId} reruns the errors of batch ${id}`
        } catch (e) {
          this.message = e.message
        }
        refresh()
      },
    }))
  })
})()
