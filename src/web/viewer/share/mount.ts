/**
 * "Share" (the viewer's tool bar and the user menu): saves the viewer's state as a shared link (POST
 * /api/shared-links) and shows the link to copy. A desktop opened by a link (/share/ID redirects to
 * /?project=P#share=ID) restores its state; sharing again from there offers to overwrite that link (when it is the
 * user's own) or to make a new one.
 */
import type { SharedState } from '../../../sharing/shared-state'
import { withBase } from '../../shared/base-path'
import { api, messageOf } from '../../shared/dom'
import type { MarkerTool } from '../markers/marker-tool'
import type { RoiTool } from '../roi/tool'
import type { Viewer } from '../viewer'
import { captureState, restoreState, type Captured } from './viewer-state'

interface LinkInfo {
  id: string
  project: string
  owner: string
  title: string
  mine: boolean
  url: string
}

/** The link the page was opened with (or last shared), for "overwrite". */
let current: LinkInfo | undefined

declare global {
  interface Window {
    noraShare?: {
      capture(): Captured
      /** Resolves when the link of the address (if any) has been restored, with what could not be. */
      restored: Promise<string[]>
      current(): LinkInfo | undefined
      share(opts: { title?: string; overwrite?: boolean }): Promise<LinkInfo>
    }
  }
}

const absolute = (path: string) => new URL(withBase(path), location.origin).href

export function mountShare(viewer: Viewer, root: HTMLElement, rois: RoiTool | undefined): void {
  const markers = () => (window as unknown as { noraMarkers?: MarkerTool }).noraMarkers
  const capture = () => captureState(viewer, rois, markers())
  const share = async (opts: { title?: string; overwrite?: boolean }): Promise<LinkInfo> => {
    const c = capture()
    if (!c.project) throw new Error(c.left[0] ?? 'nothing of the archive is loaded: load files from the file tree first')
    const body = { title: opts.title ?? '', state: c.state }
    const link = opts.overwrite && current?.mine ? await api<LinkInfo>('PUT', `/api/shared-links/${encodeURIComponent(current.id)}`, body) : await api<LinkInfo>('POST', '/api/shared-links', { ...body, project: c.project })
    current = link
    return link
  }
  const restored = restoreFromHash(viewer, rois, markers)
  window.noraShare = { capture, restored, current: () => current, share }
  for (const b of Array.from(document.querySelectorAll<HTMLElement>('[data-share-open]'))) b.hidden = false
  document.addEventListener('click', (e) => {
    const b = (e.target as HTMLElement | null)?.closest('[data-share-open]')
    if (!b || !root.isConnected) return
    e.preventDefault()
    b.closest('details')?.removeAttribute('open')
    openDialog(capture(), share)
  })
}

function restoreFromHash(viewer: Viewer, rois: RoiTool | undefined, markers: () => MarkerTool | undefined): Promise<string[]> {
  const m = /^#share=([A-Za-z0-9_-]{1,64})$/.exec(location.hash)
  if (!m) return Promise.resolve([])
  const id = m[1]!
  history.replaceState(history.state, '', location.pathname + location.search)
  return (async () => {
    try {
      const link = await api<LinkInfo & { state: SharedState }>('GET', `/api/shared-links/${encodeURIComponent(id)}`)
      current = link
      viewer.setStatus(`opening the shared link${link.title ? ` “${link.title}”` : ''} of ${link.owner}…`)
      const problems = await restoreState(viewer, rois, markers(), link.project, link.state)
      viewer.setStatus(problems.length ? `shared link: ${problems.join('; ')}` : `shared link${link.title ? ` “${link.title}”` : ''} of ${link.owner} restored`)
      return problems
    } catch (e) {
      viewer.setStatus(`shared link: ${messageOf(e)}`)
      return [messageOf(e)]
    }
  })()
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v
    else e.setAttribute(k, v)
  }
  e.append(...children)
  return e
}

function openDialog(c: Captured, share: (o: { title?: string; overwrite?: boolean }) => Promise<LinkInfo>) {
  document.querySelector('dialog.share-dialog')?.remove()
  const items = c.state.viewports.reduce((n, vp) => n + vp.items.length, 0)
  const used = c.state.viewports.filter((vp) => vp.items.length).length
  const summary = `${items} file${items === 1 ? '' : 's'} in ${used} viewport${used === 1 ? '' : 's'} (layout ${c.state.layout}), ${c.state.rois.length} ROI${c.state.rois.length === 1 ? '' : 's'}, ${c.state.markers.length} marker set${c.state.markers.length === 1 ? '' : 's'}${c.project ? ` of project ${c.project}` : ''}`
  const title = el('input', { name: 'title', maxlength: '255', placeholder: 'e.g. lesion follow-up', 'data-share-title': '' })
  if (current?.mine) title.value = current.title
  const form = el('form', { method: 'dialog', class: 'share-form' }, el('p', { text: summary, class: 'share-summary' }))
  if (c.left.length) form.append(el('p', { class: 'muted share-left', text: `Left out: ${c.left.join('; ')}` }))
  form.append(el('label', {}, 'Title ', title))
  let overwrite: HTMLInputElement | undefined
  if (current?.mine) {
    overwrite = el('input', { type: 'radio', name: 'how', value: 'overwrite', 'data-share-overwrite': '' })
    overwrite.checked = true
    const fresh = el('input', { type: 'radio', name: 'how', value: 'new', 'data-share-new': '' })
    form.append(el('fieldset', { class: 'share-how' }, el('legend', { text: 'This desktop was opened from your shared link' }), el('label', {}, overwrite, ` overwrite it (${absolute(current.url)})`), el('br'), el('label', {}, fresh, ' make a new link')))
  } else if (current) form.append(el('p', { class: 'muted', text: `Opened from ${current.owner}'s link: sharing makes a new link of your own.` }))
  const status = el('p', { class: 'share-status', role: 'status' })
  const result = el('input', { readonly: '', class: 'share-url', 'data-share-url': '', 'aria-label': 'the shared link' })
  const copy = el('button', { type: 'button', text: 'Copy', 'data-share-copy': '' })
  const resultRow = el('p', { class: 'share-result' }, result, ' ', copy)
  resultRow.hidden = true
  const go = el('button', { type: 'submit', value: 'share', text: 'Share', 'data-share-go': '' })
  const close = el('button', { type: 'button', class: 'link', text: 'Close' })
  form.append(el('p', { class: 'share-actions' }, go, ' ', close), status, resultRow)
  const dialog = el('dialog', { class: 'share-dialog', 'aria-label': 'Share this view' }, el('h3', { text: 'Share this view' }), form)
  // The look of the desktop's other dialogs (nora.css' dialog cards), set through the CSSOM (CSP allows it).
  Object.assign(dialog.style, { background: 'var(--card)', color: 'var(--fg)', border: '1px solid #4a5361', borderRadius: '6px', padding: '1em 1.2em', width: 'min(44em, 92vw)' })
  result.style.width = 'min(34em, 70vw)'
  title.style.width = 'min(24em, 60vw)'
  close.addEventListener('click', () => dialog.close())
  dialog.addEventListener('close', () => dialog.remove())
  copy.addEventListener('click', () => {
    result.select()
    void navigator.clipboard?.writeText(result.value).catch(() => document.execCommand('copy'))
    status.textContent = 'copied'
  })
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    go.disabled = true
    status.textContent = 'saving…'
    share({ title: title.value, overwrite: overwrite?.checked ?? false })
      .then((link) => {
        result.value = absolute(link.url)
        resultRow.hidden = false
        status.textContent = `${overwrite?.checked ? 'link overwritten' : 'new link'}: anyone with read on ${link.project} can open it`
      })
      .catch((err: unknown) => (status.textContent = `not shared: ${messageOf(err)}`))
      .finally(() => (go.disabled = false))
  })
  document.body.append(dialog)
  dialog.showModal()
}
