// The subject/study table: marks the study whose files are shown (kept across table swaps), Enter opens a focused
// row, ↑/↓ step through the rows (selecting and autoloading), checkboxes mark rows for tagging, and the context menu
// (right click on a row or a file) adds and removes tags. Every string from the archive is set with textContent.
// The desktop region may be swapped in again by htmx, which runs this script again: listen once.
;(function () {
  if (window.__noraTable) return
  window.__noraTable = true
  let selected = null
  /** What the context menu acts on: {target: 'subject'|'study'|'file', items: [...], label}. */
  let menuFor = null

  const $ = (id) => document.getElementById(id)
  const csrf = () => document.body.dataset.csrf || ''
  const project = () => ($('ctx-menu') && $('ctx-menu').dataset.project) || ''
  const canWrite = () => Boolean($('ctx-menu') && $('ctx-menu').dataset.canWrite)
  const isTyping = (el) => el instanceof Element && (el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null)

  function mark() {
    for (const tr of document.querySelectorAll('#table-body tr.study')) tr.classList.toggle('selected', tr.dataset.psid === selected)
  }

  /** Selects a study row: marks it, loads its files (the row's hx-get) and tells the autoloader. */
  function select(tr) {
    selected = tr.dataset.psid
    mark()
    document.dispatchEvent(new CustomEvent('nora:study-selected', { detail: { psid: selected, project: project() } }))
  }
  window.noraSelectedStudy = () => selected

  // Checkboxes and chip buttons act on their own: the row's click (file tree, autoload) must not fire.
  document.addEventListener(
    'click',
    (ev) => {
      const t = ev.target instanceof Element ? ev.target : null
      if (!t) return
      if (t.matches('#table-results .check-all')) {
        ev.stopPropagation()
        for (const box of document.querySelectorAll('#table-body .row-check')) box.checked = t.checked
        return
      }
      if (t.matches('#table-body .row-check')) {
        ev.stopPropagation()
        return
      }
      const x = t.closest('.chip-x')
      if (x) {
        ev.stopPropagation()
        ev.preventDefault()
        const chip = x.closest('.chip')
        const items = targetsFor(chip.dataset.target, chip.dataset.item, chip.closest('#table-body tr'))
        changeTag('DELETE', chip.dataset.target, items, chip.dataset.tag)
      }
    },
    true,
  )

  document.addEventListener('click', (ev) => {
    const t = ev.target instanceof Element ? ev.target : null
    if (t && !t.closest('#ctx-menu')) hideMenu()
    const tr = t ? t.closest('#table-body tr.study') : null
    if (tr) select(tr)
  })

  /** The items an action on one row applies to: all checked rows when this row is checked, else the row alone. */
  function targetsFor(target, item, tr) {
    if (target === 'file' || !tr) return [item]
    const box = tr.querySelector('.row-check')
    if (!box || !box.checked) return [item]
    const rows = [...document.querySelectorAll('#table-body tr.row')].filter((r) => r.querySelector('.row-check:checked'))
    if (target === 'subject') return [...new Set(rows.map((r) => r.dataset.psid.split('#')[0]))]
    return rows.filter((r) => r.dataset.target === 'study').map((r) => r.dataset.psid)
  }

  function say(text) {
    const note = $('table-note')
    if (note) note.textContent = text
  }

  async function changeTag(method, target, items, tag) {
    const res = await fetch(`/api/projects/${encodeURIComponent(project())}/tags`, {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf() },
      body: JSON.stringify({ target, items, tag }),
    })
    const body = await res.json().catch(() => ({}))
    if (!res.ok) {
      say(`tag not ${method === 'DELETE' ? 'removed' : 'added'}: ${body.error || res.status}`)
      return body.error || String(res.status)
    }
    say('')
    refresh()
    return null
  }
  window.noraChangeTag = changeTag

  /** Reloads the table with its bars (and the open file tree). */
  function refresh() {
    const bar = $('bar-q')
    if (bar && window.htmx) window.htmx.trigger(bar, 'search')
    const tree = document.querySelector('#file-tree .file-tree-body')
    const row = selected && document.querySelector(`#table-body tr.study[data-psid="${CSS.escape(selected)}"]`)
    if (tree && row && window.htmx) window.htmx.ajax('GET', row.getAttribute('hx-get'), { target: '#file-tree', swap: 'innerHTML' })
  }
  window.noraRefreshTable = refresh

  // ---- context menu ----
  function hideMenu() {
    const m = $('ctx-menu')
    if (m) m.hidden = true
  }

  document.addEventListener('contextmenu', (ev) => {
    const t = ev.target instanceof Element ? ev.target : null
    const file = t && t.closest('#file-tree li.file')
    const tr = t && t.closest('#table-body tr.row')
    const menu = $('ctx-menu')
    if ((!file && !tr) || !menu || !canWrite()) return
    ev.preventDefault()
    let chips
    if (file) {
      menuFor = { target: 'file', items: [file.dataset.path], label: `file ${file.dataset.noraName || file.dataset.path}` }
      chips = [...file.querySelectorAll('.chip')]
    } else {
      const target = tr.dataset.target
      const item = target === 'study' ? tr.dataset.psid : tr.dataset.psid.split('#')[0]
      const items = targetsFor(target, item, tr)
      menuFor = { target, items, label: items.length > 1 ? `${items.length} checked ${target === 'study' ? 'studies' : 'subjects'}` : `${target} ${item}` }
      chips = [...tr.querySelectorAll('td.tags .chip')].filter((c) => c.dataset.target === target)
    }
    $('ctx-title').textContent = menuFor.label
    const remove = $('ctx-remove')
    remove.replaceChildren(
      ...[...new Set(chips.map((c) => c.dataset.tag))].map((tag) => {
        const b = document.createElement('button')
        b.type = 'button'
        b.setAttribute('role', 'menuitem')
        b.className = 'ctx-rm'
        b.dataset.tag = tag
        b.textContent = `Remove tag “${tag}”`
        return b
      }),
    )
    menu.hidden = false
    const w = menu.offsetWidth
    const h = menu.offsetHeight
    menu.style.left = `${Math.min(ev.clientX, window.innerWidth - w - 4)}px`
    menu.style.top = `${Math.min(ev.clientY, window.innerHeight - h - 4)}px`
    $('ctx-add').focus()
  })

  document.addEventListener('click', (ev) => {
    const t = ev.target instanceof Element ? ev.target : null
    if (!t || !menuFor) return
    if (t.closest('#ctx-add')) {
      hideMenu()
      $('tag-what').textContent = `on ${menuFor.label}`
      $('tag-error').textContent = ''
      $('tag-name').value = ''
      $('tag-dialog').showModal()
      $('tag-name').focus()
    } else if (t.closest('.ctx-rm')) {
      hideMenu()
      changeTag('DELETE', menuFor.target, menuFor.items, t.closest('.ctx-rm').dataset.tag)
    } else if (t.closest('#tag-cancel')) {
      $('tag-dialog').close()
    }
  })

  document.addEventListener('submit', async (ev) => {
    if (!(ev.target instanceof HTMLFormElement) || ev.target.id !== 'tag-form') return
    ev.preventDefault()
    const tag = $('tag-name').value.trim()
    if (!tag) return ($('tag-error').textContent = 'type a tag name')
    const error = await changeTag('POST', menuFor.target, menuFor.items, tag)
    if (error) $('tag-error').textContent = error
    else $('tag-dialog').close()
  })

  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') hideMenu()
    if (ev.key === 'Enter') {
      const tr = ev.target instanceof Element ? ev.target.closest('#table-body tr.study') : null
      if (tr) tr.click()
      return
    }
    if ((ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') || isTyping(ev.target) || document.querySelector('dialog[open]')) return
    const rows = [...document.querySelectorAll('#table-body tr.study')]
    if (!rows.length) return
    const at = rows.findIndex((r) => r.dataset.psid === selected)
    const next = at < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, at + (ev.key === 'ArrowDown' ? 1 : -1)))
    ev.preventDefault()
    if (next === at) return
    rows[next].click()
    rows[next].focus({ preventScroll: true })
    rows[next].scrollIntoView({ block: 'nearest' })
  })
  document.addEventListener('htmx:afterSettle', mark)
})()
