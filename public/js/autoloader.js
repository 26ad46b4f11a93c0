// Autoloaders: the presets dialog (GET/PUT /api/projects/P/autoloaders), and, when a study is selected in the table
// (click or ↑/↓), the active preset's files for that study (GET .../autoloaders/resolve) handed to the viewer as
// `nora:clear` then one `nora:load` event per file. Values from the server are set with textContent / value.
;(function () {
  if (window.__noraAutoloader) return
  window.__noraAutoloader = true
  const $ = (id) => document.getElementById(id)
  const AS = ['background', 'overlay', 'mask', 'fibers', 'surface']
  let presets = []
  let current = 0
  /** project -> its presets, so a selection does not ask twice. */
  const cache = new Map()
  let latest = 0

  const dialog = () => $('autoload-dialog')
  const project = () => (dialog() && dialog().dataset.project) || ''
  const api = (p) => `/api/projects/${encodeURIComponent(p)}/autoloaders`

  async function load(p) {
    if (!cache.has(p)) {
      const res = await fetch(api(p), { headers: { accept: 'application/json' } })
      if (!res.ok) throw new Error(`autoloaders: ${res.status}`)
      cache.set(p, (await res.json()).presets)
    }
    return cache.get(p)
  }

  function showState(list) {
    const el = $('autoload-state')
    if (!el) return
    const active = list.find((x) => x.active)
    el.textContent = active ? `autoload: ${active.name}` : ''
  }

  // ---- selection -> viewer ----
  document.addEventListener('nora:study-selected', async (ev) => {
    const { psid, project: p } = ev.detail || {}
    if (!psid || !p) return
    const ticket = ++latest
    try {
      const list = await load(p)
      showState(list)
      if (!list.some((x) => x.active)) return
      const res = await fetch(`${api(p)}/resolve?${new URLSearchParams({ psid })}`, { headers: { accept: 'application/json' } })
      if (!res.ok || ticket !== latest) return
      const body = await res.json()
      if (ticket !== latest) return
      document.dispatchEvent(new CustomEvent('nora:clear'))
      for (const it of body.items)
        document.dispatchEvent(new CustomEvent('nora:load', { detail: { url: it.url, name: it.name, viewport: it.viewport, as: it.as, colormap: it.colormap, min: it.min, max: it.max } }))
      const el = $('autoload-state')
      if (el) el.textContent = `autoload: ${body.preset} · ${body.items.length} file${body.items.length === 1 ? '' : 's'} for ${psid}`
    } catch (e) {
      const el = $('autoload-state')
      if (el) el.textContent = String(e.message || e)
    }
  })
  document.addEventListener('htmx:afterSettle', () => {
    if (dialog() && cache.has(project())) showState(cache.get(project()))
  })

  // ---- presets dialog ----
  function input(value, cls, attrs = {}) {
    const i = document.createElement('input')
    i.className = cls
    i.value = value === undefined || value === null ? '' : String(value)
    for (const [k, v] of Object.entries(attrs)) i.setAttribute(k, v)
    return i
  }

  function row(item) {
    const tr = document.createElement('tr')
    const as = document.createElement('select')
    as.className = 'al-as'
    for (const a of AS) {
      const o = document.createElement('option')
      o.value = a
      o.textContent = a
      o.selected = a === (item.as || 'background')
      as.append(o)
    }
    const rm = document.createElement('button')
    rm.type = 'button'
    rm.className = 'al-rm'
    rm.textContent = '×'
    rm.setAttribute('aria-label', 'remove item')
    const cells = [
      input(item.pattern, 'al-pattern', { placeholder: 't1*/s0*.nii', spellcheck: 'false' }),
      input(item.viewport ?? 1, 'al-viewport', { type: 'number', min: '1', max: '16' }),
      as,
      input(item.colormap || 'gray', 'al-colormap'),
      input(item.min, 'al-min', { type: 'number', step: 'any' }),
      input(item.max, 'al-max', { type: 'number', step: 'any' }),
      rm,
    ]
    tr.append(...cells.map((c) => {
      const td = document.createElement('td')
      td.append(c)
      return td
    }))
    return tr
  }

  /** The dialog's rows back into the current preset. */
  function collect() {
    const p = presets[current]
    if (!p) return
    p.name = $('al-name').value.trim() || p.name
    p.active = $('al-active').checked
    p.items = [...$('al-items').querySelectorAll('tr')].map((tr) => {
      const v = (c) => tr.querySelector(c).value
      const it = { pattern: v('.al-pattern').trim(), viewport: Number(v('.al-viewport') || 1), as: v('.al-as'), colormap: v('.al-colormap').trim() || 'gray' }
      if (v('.al-min') !== '') it.min = Number(v('.al-min'))
      if (v('.al-max') !== '') it.max = Number(v('.al-max'))
      return it
    })
    if (p.active) presets.forEach((x, i) => i !== current && (x.active = false))
  }

  function render() {
    const sel = $('al-preset')
    sel.replaceChildren(
      ...presets.map((p, i) => {
        const o = document.createElement('option')
        o.value = String(i)
        o.textContent = p.name + (p.active ? ' (active)' : '')
        o.selected = i === current
        return o
      }),
    )
    const p = presets[current]
    $('al-active').checked = Boolean(p && p.active)
    $('al-name').value = p ? p.name : ''
    $('al-name').disabled = !p
    $('al-items').replaceChildren(...(p ? p.items.map(row) : []))
    $('al-add').disabled = !p
  }

  document.addEventListener('click', async (ev) => {
    const t = ev.target instanceof Element ? ev.target : null
    if (!t) return
    if (t.closest('#autoload-open')) {
      try {
        cache.delete(project())
        presets = JSON.parse(JSON.stringify(await load(project())))
      } catch (e) {
        presets = []
      }
      current = Math.max(0, presets.findIndex((p) => p.active))
      $('al-status').textContent = dialog().dataset.canWrite ? '' : 'you may look at the presets; changing them needs the write right'
      render()
      dialog().showModal()
    } else if (t.closest('#al-new')) {
      collect()
      const name = `preset ${presets.length + 1}`
      presets.push({ name, active: presets.length === 0, items: [{ pattern: '', viewport: 1, as: 'background', colormap: 'gray' }] })
      current = presets.length - 1
      render()
    } else if (t.closest('#al-add')) {
      $('al-items').append(row({ pattern: '', viewport: 1, as: 'background', colormap: 'gray' }))
    } else if (t.closest('.al-rm')) {
      t.closest('tr').remove()
    } else if (t.closest('#al-close')) {
      dialog().close()
    }
  })
  document.addEventListener('change', (ev) => {
    if (ev.target instanceof HTMLSelectElement && ev.target.id === 'al-preset') {
      collect()
      current = Number(ev.target.value)
      render()
    }
  })
  document.addEventListener('submit', async (ev) => {
    if (!(ev.target instanceof HTMLFormElement) || ev.target.id !== 'autoload-form') return
    ev.preventDefault()
    collect()
    const res = await fetch(api(project()), {
      method: 'PUT',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': document.body.dataset.csrf || '' },
      body: JSON.stringify({ presets }),
    })
    const body = await res.json().catch(() => ({}))
    if (!res.ok) return ($('al-status').textContent = `not saved: ${body.error || res.status}`)
    presets = body.presets
    cache.set(project(), JSON.parse(JSON.stringify(presets)))
    showState(presets)
    $('al-status').textContent = 'saved'
    render()
  })
})()
