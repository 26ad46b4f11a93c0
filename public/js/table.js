// The subject/study table: marks the study whose files are shown, keeps that mark across table swaps, and lets
// Enter open a focused row (htmx trigger filters would need eval, which the CSP forbids).
// The desktop region may be swapped in again by htmx, which runs this script again: listen once.
;(function () {
  if (window.__noraTable) return
  window.__noraTable = true
  let selected = null

  function mark() {
    for (const tr of document.querySelectorAll('#table-body tr.study')) tr.classList.toggle('selected', tr.dataset.psid === selected)
  }

  document.addEventListener('click', (ev) => {
    const tr = ev.target instanceof Element ? ev.target.closest('#table-body tr.study') : null
    if (!tr) return
    selected = tr.dataset.psid
    mark()
  })
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return
    const tr = ev.target instanceof Element ? ev.target.closest('#table-body tr.study') : null
    if (tr) tr.click()
  })
  document.addEventListener('htmx:afterSettle', mark)
})()
