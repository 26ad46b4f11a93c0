import { CT_PRESETS } from './presets'
import { kindOf, rolesFor, ROLE_LABEL, type ItemRole } from './presets'
import { droppedFiles } from './dicom'
import { Viewer, type Layout, type LoadRequest } from './viewer'
import { emit, on } from '../shared/bus'
import { mountRoiTool } from './roi/mount'
import { mountMarkerTool } from './markers/mount'
import { mountNavigationTool } from './navigation/mount'
import { mountShare } from './share/mount'
import { mountReadingTool } from './reading/mount'
import type { RoiTool } from './roi/tool'

/** What a file row of the table's file tree carries (templates/partials/table/file-tree.mustache). */
const FILE_ROW = '[data-nora-file]'
const DRAG_TYPE = 'application/x-nora-file'

declare global {
  interface Window {
    noraViewer?: {
      viewer: Viewer
      state(): ReturnType<Viewer['state']>
      idle(): Promise<void>
      load(req: LoadRequest): Promise<unknown>
      roi: RoiTool
    }
  }
}

let viewer: Viewer | undefined

/** Mounts the viewer once per #viewer element (htmx may swap the desktop region in again). */
function mount() {
  const root = document.getElementById('viewer')
  if (!root || root.dataset.mounted) return
  root.dataset.mounted = 'true'
  const v = new Viewer(root)
  viewer = v
  const roi = mountRoiTool(v, root)
  const markers = mountMarkerTool(v, root)
  mountReadingTool(v, root, markers, roi)
  mountNavigationTool(v, root)
  window.noraViewer = { viewer: v, state: () => v.state(), idle: () => v.idle(), load: (r) => v.load(r), roi }
  mountShare(v, root, roi)
  wireToolbar(v, root)
  wireDrops(v, root)
  fillHelp(root)
}

function wireToolbar(v: Viewer, root: HTMLElement) {
  for (const b of Array.from(root.querySelectorAll<HTMLElement>('[data-layout-choice]'))) b.addEventListener('click', () => v.setLayout(b.dataset.layoutChoice as Layout))
  root.querySelector('[data-mosaic-toggle]')?.addEventListener('click', () => v.setMosaic(!v.mosaic))
  root.querySelector('[data-action="clear"]')?.addEventListener('click', () => v.clear())
  root.querySelector('[data-action="help"]')?.addEventListener('click', () => toggleHelp(root))
  root.querySelector('.viewer-help [data-action="close-help"]')?.addEventListener('click', () => toggleHelp(root, false))
  for (const vp of v.viewports) {
    const b = vp.element.querySelector<HTMLElement>('.vp-plane')
    b?.addEventListener('click', () => (b.textContent = `${vp.index} · ${v.nextPlane(vp)}`))
  }
  const local = root.querySelector<HTMLInputElement>('input[data-local-files]')
  local?.addEventListener('change', () => {
    for (const req of localRequests(Array.from(local.files ?? []))) void v.load(req)
    local.value = ''
  })
}

/** Files from the file tree (dragged or double-clicked) and from the user's disk (dropped, never uploaded). */
function wireDrops(v: Viewer, root: HTMLElement) {
  for (const vp of v.viewports) {
    const el = vp.element
    el.addEventListener('dragover', (e) => {
      e.preventDefault()
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'
      el.classList.add('drop-target')
    })
    el.addEventListener('dragleave', () => el.classList.remove('drop-target'))
    el.addEventListener('drop', (e) => {
      e.preventDefault()
      el.classList.remove('drop-target')
      const requests: LoadRequest[] = []
      const nora = e.dataTransfer?.getData(DRAG_TYPE)
      if (nora) {
        try {
          const { url, name } = JSON.parse(nora) as { url: string; name: string }
          if (typeof url === 'string' && url.startsWith('/')) requests.push({ url, name: String(name) })
        } catch {
          /* not ours */
        }
      } else if (e.dataTransfer) {
        // From disk: folders are read asynchronously (their entries are taken now, while the drop lasts).
        void droppedFiles(e.dataTransfer).then((files) => {
          for (const req of localRequests(files)) offerDropOptions(v, vp.index, el, req)
        })
      }
      for (const req of requests) offerDropOptions(v, vp.index, el, req)
    })
  }
  root.ownerDocument.addEventListener('keydown', (e) => keys(v, root, e))
}

/** Files from disk: the viewer's own formats one by one; everything else together as one DICOM conversion. */
function localRequests(files: File[]): LoadRequest[] {
  const own = files.filter((f) => rolesFor(kindOf(f.name)).length > 0)
  const rest = files.filter((f) => !own.includes(f))
  const reqs: LoadRequest[] = own.map((file) => ({ file, name: file.name }))
  if (rest.length) reqs.push({ dicom: rest, name: rest.length === 1 ? rest[0]!.name : `${rest.length} dropped files` })
  return reqs
}

/**
 * The drop menu: a volume dropped on a viewport that already has a background offers background / overlay /
 * mask; anything with a single option (an empty viewport, fibers, surfaces) loads at once.
 */
function offerDropOptions(v: Viewer, index: number, el: HTMLElement, req: LoadRequest) {
  const roles = rolesFor(kindOf(req.name))
  const vp = v.viewports[index - 1]!
  if (roles.length <= 1 || !vp.background) return void v.load({ ...req, viewport: index, as: roles[0] })
  const menu = el.querySelector<HTMLElement>('.drop-menu')!
  const title = document.createElement('p')
  title.className = 'drop-title'
  title.textContent = req.name
  const buttons = roles.map((role: ItemRole) => {
    const b = document.createElement('button')
    b.type = 'button'
    b.dataset.role = role
    b.textContent = `drop ${ROLE_LABEL[role]}`
    b.addEventListener('click', () => {
      menu.hidden = true
      void v.load({ ...req, viewport: index, as: role })
    })
    return b
  })
  const cancel = document.createElement('button')
  cancel.type = 'button'
  cancel.className = 'link'
  cancel.textContent = 'cancel'
  cancel.addEventListener('click', () => (menu.hidden = true))
  menu.replaceChildren(title, ...buttons, cancel)
  menu.hidden = false
}

function toggleHelp(root: HTMLElement, show?: boolean) {
  const help = root.querySelector<HTMLElement>('.viewer-help')
  if (help) help.hidden = show === undefined ? !help.hidden : !show
}

function fillHelp(root: HTMLElement) {
  const list = root.querySelector('.viewer-help .presets')
  if (!list) return
  list.replaceChildren(
    ...CT_PRESETS.map((p) => {
      const li = document.createElement('li')
      const k = document.createElement('kbd')
      k.textContent = p.key
      li.append(k, ` ${p.name}: level ${p.level}, width ${p.width} (${p.level - p.width / 2} … ${p.level + p.width / 2} HU)`)
      return li
    }),
  )
  const auto = document.createElement('li')
  const k = document.createElement('kbd')
  k.textContent = '0'
  auto.append(k, ' auto: the image’s own robust range')
  list.append(auto)
}

function keys(v: Viewer, root: HTMLElement, e: KeyboardEvent) {
  const t = e.target as HTMLElement | null
  if (t && (t.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName))) return
  if (e.ctrlKey || e.metaKey || e.altKey) return
  if (!root.isConnected) return
  if (/^[0-6]$/.test(e.key)) v.windowPreset(e.key)
  else if (e.key === 'x' || e.key === 'X' || e.key === 'y' || e.key === 'Y') {
    v.scrollSpeed(e.key.toLowerCase() === 'x' ? -1 : 1)
    emit('nora:settings', { scrollSpeed: v.viewports[0]?.scrollSpeed })
  }
  else if (e.key === '?') toggleHelp(root)
  else if (e.key === 'r' || e.key === 'R') for (const vp of v.viewports) vp.reformat?.reset()
  else if (e.key === 'Escape') {
    toggleHelp(root, false)
    for (const m of Array.from(root.querySelectorAll<HTMLElement>('.drop-menu'))) m.hidden = true
  } else return
  e.preventDefault()
}

/** Double-click and drag on file rows anywhere in the page (the file tree is swapped in by htmx later). */
document.addEventListener('dblclick', (e) => {
  const row = (e.target as HTMLElement | null)?.closest<HTMLElement>(FILE_ROW)
  if (!row || !viewer) return
  e.preventDefault()
  void viewer.load({ url: row.dataset.noraFile!, name: row.dataset.noraName ?? row.dataset.noraFile!.split('/').pop()! })
})
document.addEventListener('dragstart', (e) => {
  const row = (e.target as HTMLElement | null)?.closest<HTMLElement>(FILE_ROW)
  if (!row || !e.dataTransfer) return
  e.dataTransfer.setData(DRAG_TYPE, JSON.stringify({ url: row.dataset.noraFile, name: row.dataset.noraName }))
  e.dataTransfer.setData('text/plain', row.dataset.noraName ?? '')
  e.dataTransfer.effectAllowed = 'copy'
})
/** The contract with the table and autoloaders: `nora:load` and `nora:clear` on the event bus (shared/bus.ts). */
on('nora:load', (d) => {
  if (!viewer || !d || typeof d.url !== 'string' && !(d.file instanceof File)) return
  void viewer.load({ ...d, name: String(d.name ?? d.url?.split('/').pop() ?? 'file') })
})
on('nora:clear', () => viewer?.clear())
on('nora:settings', (d) => {
  const now = viewer?.viewports[0]?.scrollSpeed
  if (viewer && now !== undefined && typeof d?.scrollSpeed === 'number') viewer.scrollSpeed(d.scrollSpeed - now)
})
document.addEventListener('htmx:afterSettle', mount)
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount)
else mount()
