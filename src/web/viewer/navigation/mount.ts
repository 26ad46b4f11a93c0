/**
 * Mounts the Navigation tool on the viewer: its panel (the workstation's `[data-tool-panel="navigation"]`, or one made
 * inside #viewer), the tool bar's `nora:tool` event, drops of NIfTIs on the panel (file tree rows, a viewbar's ✋)
 * that make only them moving, the viewbar's ▦ (that image's matrix as the grid), and APPLY through
 * `POST /api/projects/P/transforms` (src/http/api/transforms) for each moving archive image.
 */
import { emit, on } from '../../shared/bus'
import { api, messageOf } from '../../shared/dom'
import { referenceOf } from '../roi/roi'
import { toolPanelElement } from '../tool-panel'
import type { Viewer } from '../viewer'
import { ITEM_DRAG_TYPE } from '../viewbar'
import { display } from './display'
import { NavigationTool } from './navigation-tool'
import { NavigationPanel } from './panel'
import { NavigationSymbol } from './symbol'

const DRAG_TYPE = 'application/x-nora-file'
const NIFTI = /\.nii(\.gz)?$/i

interface Applied {
  path: string
  url: string
  sidecar: string
  field?: string
  fieldUrl?: string
  mode: string
}

type MarkerSets = { sets: { name: string; points: { position: number[] }[] }[] }

export function mountNavigationTool(viewer: Viewer, root: HTMLElement): NavigationTool {
  const tool = new NavigationTool(viewer)
  const symbol = new NavigationSymbol(tool)
  const panelEl = toolPanelElement(root, 'navigation', 'Navigation tool', { text: '✥ Navigation', title: 'Navigation tool: align images by hand, rigid, affine and deformable' })
  const markerSets = () => (window as unknown as { noraMarkers?: MarkerSets }).noraMarkers?.sets ?? []
  const panel: NavigationPanel = new NavigationPanel(panelEl, tool, { apply: () => void applyAll(), pointSets: markerSets })
  tool.onChange = () => {
    if (!panelEl.hidden) panel.render()
  }
  let opened = false
  on('nora:tool', (d) => {
    if (!d || d.tool !== 'navigation') return
    panelEl.hidden = !d.open
    symbol.show(d.open)
    if (d.open) {
      if (!opened) {
        opened = true
        const c = tool.crosshairWorld()
        if (c) tool.centre = c
      }
      panel.render()
    }
  })
  viewer.itemGrid = (_vp, item) => {
    tool.gridding = { kind: 'image', key: item.key, name: item.name, url: item.source.url }
    panel.render()
    panel.status(`grid: the matrix of ${item.name}`)
  }
  viewer.onItemsChanged = chain(viewer.onItemsChanged, () => tool.update())

  // Drops on the panel: the image becomes one of the moving ones.
  panelEl.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes(DRAG_TYPE) || e.dataTransfer?.types.includes(ITEM_DRAG_TYPE)) e.preventDefault()
  })
  panelEl.addEventListener('drop', (e) => {
    const held = e.dataTransfer?.getData(ITEM_DRAG_TYPE)
    if (held) {
      // a viewbar's ✋: the item of that viewport
      e.preventDefault()
      e.stopPropagation()
      let ref: { viewport?: unknown; item?: unknown } = {}
      try {
        ref = JSON.parse(held) as typeof ref
      } catch {
        return
      }
      const item = viewer.viewports[Number(ref.viewport) - 1]?.items.find((i) => i.id === Number(ref.item))
      if (!item?.volume) return
      tool.addMoving({ key: item.key, name: item.name, url: item.source.url })
      return
    }
    const raw = e.dataTransfer?.getData(DRAG_TYPE)
    if (!raw) return
    let file: { url?: unknown; name?: unknown }
    try {
      file = JSON.parse(raw) as typeof file
    } catch {
      return
    }
    if (typeof file.url !== 'string' || !file.url.startsWith('/')) return
    e.preventDefault()
    e.stopPropagation()
    const name = typeof file.name === 'string' ? file.name : (file.url.split('/').pop() ?? 'image')
    if (!NIFTI.test(name)) return panel.status(`${name}: only NIfTI images move`)
    tool.addMoving({ key: file.url, name, url: file.url })
    if (!tool.movingItems().some((m) => m.item.key === file.url)) panel.status(`${name} moves once it is shown in a viewport`)
  })

  async function applyAll() {
    // the moving images shown, and those dropped on the tool but not shown: each file once
    const files = new Map<string, { key: string; name: string; url?: string }>()
    for (const { item } of tool.movingItems()) files.set(item.key, { key: item.key, name: item.name, url: item.source.url })
    for (const m of tool.moving) if (!files.has(m.key)) files.set(m.key, m)
    if (!files.size) return panel.status('nothing moves: load an image, or drop one on the tool')
    let grid: ReturnType<NavigationTool['gridRequest']>
    let warp: ReturnType<NavigationTool['warpRequest']>
    try {
      grid = tool.gridRequest()
      warp = tool.warpRequest(markerSets())
    } catch (e) {
      return panel.status(messageOf(e))
    }
    const matrix = tool.matrix()
    const done: string[] = []
    const target = panel.target
    for (const item of files.values()) {
      const ref = referenceOf(item.name, item.url)
      if (!ref.project || !ref.path) {
        done.push(`${item.name}: not a file of the archive, not written`)
        continue
      }
      const base = ref.path.split('/').pop()!
      const m = base.match(/^(.*?)(\.nii(\.gz)?)$/i)
      const name = target === 'new' && m ? `${m[1]}${panel.suffix.replace(/[^A-Za-z0-9._-]/g, '_') || '_moved'}${m[2]}` : undefined
      panel.status(`applying to ${item.name}…`)
      try {
        const r = await api<Applied>('POST', `/api/projects/${encodeURIComponent(ref.project)}/transforms`, { image: ref.path, matrix, parameters: tool.params, target, ...(name ? { name } : {}), ...(grid ? { grid } : {}), ...(warp ? { warp } : {}) })
        done.push(`${item.name} → ${r.path} (${r.mode})${r.field ? ` + field ${r.field}` : ''}`)
        if (target === 'same' && r.mode === 'header') tool.baked(item.key)
      } catch (e) {
        done.push(`${item.name}: ${messageOf(e)}`)
      }
    }
    if (target === 'same') tool.reset()
    emit('nora:table-changed')
    panel.status(done.join('; '))
  }

  ;(window as unknown as { noraNavigation?: { tool: NavigationTool; symbol: NavigationSymbol; panel: NavigationPanel; display: typeof display } }).noraNavigation = { tool, symbol, panel, display }
  return tool
}

function chain<A extends unknown[]>(a: ((...args: A) => void) | undefined, b: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    a?.(...args)
    b(...args)
  }
}
