// The profile's "Shared links" (templates/pages/profile.mustache, #shared-links): the user's links from
// GET /api/shared-links, each with its address, project, title, date, and a delete button (DELETE, with the CSRF header).
import { withBase } from '../shared/base-path'
import { api, byId, messageOf } from '../shared/dom'

interface Link {
  id: string
  project: string
  title: string
  updatedAt: number
  url: string
}

const cell = (text: string, cls = '') => {
  const td = document.createElement('td')
  td.textContent = text
  if (cls) td.className = cls
  return td
}

async function render(box: HTMLElement): Promise<void> {
  const say = (text: string) => {
    const p = document.createElement('p')
    p.className = 'muted'
    p.id = 'no-shared-links'
    p.textContent = text
    box.replaceChildren(p)
  }
  let links: Link[]
  try {
    links = (await api<{ links: Link[] }>('GET', '/api/shared-links')).links
  } catch (e) {
    return say(`your shared links could not be listed: ${messageOf(e)}`)
  }
  if (!links.length) return say('You have no shared links. Share a view with the viewer’s “share” button (or Share in this menu on the desktop).')
  const table = document.createElement('table')
  table.className = 'tokens shared-links'
  table.innerHTML = '<thead><tr><th>title</th><th>project</th><th>changed</th><th>link</th><th></th></tr></thead>'
  const body = document.createElement('tbody')
  for (const l of links) {
    const tr = document.createElement('tr')
    tr.dataset.sharedLink = l.id
    const href = new URL(withBase(l.url), location.origin).href
    const a = document.createElement('a')
    a.href = href
    a.textContent = href
    const link = cell('')
    link.append(a)
    const del = document.createElement('button')
    del.type = 'button'
    del.className = 'link danger delete-shared-link'
    del.textContent = 'Delete'
    del.addEventListener('click', async () => {
      if (!confirm(`Delete the shared link${l.title ? ` “${l.title}”` : ''}? Whoever has it can no longer open it.`)) return
      try {
        await api('DELETE', `/api/shared-links/${encodeURIComponent(l.id)}`)
        await render(box)
      } catch (e) {
        del.textContent = `not deleted: ${messageOf(e)}`
      }
    })
    const actions = cell('')
    actions.append(del)
    tr.append(cell(l.title || '(untitled)', 'shared-link-title'), cell(l.project), cell(new Date(l.updatedAt).toLocaleString()), link, actions)
    body.append(tr)
  }
  table.append(body)
  box.replaceChildren(table)
}

function start() {
  const box = byId('shared-links')
  if (box) void render(box)
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()
