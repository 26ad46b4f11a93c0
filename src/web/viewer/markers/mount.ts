/**
 * Mounts the Marker tool on the viewer: its panel (the workstation's `[data-tool-panel="markers"]`, or one made inside
 * #viewer when the page has none), the tool bar's `nora:tool` event, and loading of saved sets: a double-click on an
 * annotations/NAME.json row of the file tree, or the row dropped on a viewport or the panel.
 */
import { emit, on } from '../../shared/bus'
import { messageOf } from '../../shared/dom'
import type { Viewer } from '../viewer'
import { MarkerTool } from './marker-tool'
import { downloadSlicer, isAnnotationUrl, loadMarkers, saveMarkers } from './markers-file'
import { MarkerPanel } from './panel'
import { toolPanelElement } from '../tool-panel'

const FILE_ROW = '[data-nora-file]'
const DRAG_TYPE = 'application/x-nora-file'

export function mountMarkerTool(viewer: Viewer, root: HTMLElement): MarkerTool {
  const tool = new MarkerTool(viewer)
  const panelEl = toolPanelElement(root, 'markers', 'Marker tool', { text: '⌖ Markers', title: 'Marker tool: point sets and lines' })
  const panel = new MarkerPanel(panelEl, tool, {
    save: async (set) => {
      panel.status(`saving ${set.name}…`)
      try {
        panel.status(`saved ${set.name} as ${await saveMarkers(set)}`)
      } catch (e) {
        panel.status(`save failed: ${messageOf(e)}`)
      }
    },
    download: (set) => downloadSlicer(set),
  })
  tool.onChange = () => panel.render()
  tool.status = (t) => panel.status(t)
  on('nora:tool', (d) => {
    if (!d || d.tool !== 'markers') return
    panelEl.hidden = !d.open
    if (d.open) panel.render()
    else tool.setPen(false)
  })
  const load = async (url: string) => {
    try {
      const { set, project } = await loadMarkers(url)
      tool.create(set.kind, set, project).saved = decodeURIComponent(url.replace(/^\/api\/projects\/[^/]+\/files\//, ''))
      panel.status(`loaded ${set.name}: ${set.points.length} points`)
      // Shown: through the workstation's tool bar (which opens the panel box), else directly.
      if (panelEl.hidden) {
        const button = document.querySelector<HTMLButtonElement>('.tool-bar [data-tool="markers"]')
        if (button) button.click()
        else emit('nora:tool', { tool: 'markers', open: true })
      }
    } catch (e) {
      panel.status(`load failed: ${messageOf(e)}`)
    }
  }
  // Capture phase: before the viewer's own double-click and drop handlers, which would load the file as an image.
  document.addEventListener(
    'dblclick',
    (e) => {
      const row = (e.target as HTMLElement | null)?.closest<HTMLElement>(FILE_ROW)
      const url = row?.dataset.noraFile
      if (!url || !isAnnotationUrl(url) || !root.isConnected) return
      e.preventDefault()
      e.stopPropagation()
      void load(url)
    },
    true,
  )
  const dropTargets = [panelEl, ...viewer.viewports.map((vp) => vp.element)]
  for (const target of dropTargets) {
    target.addEventListener('dragover', (e) => e.preventDefault())
    target.addEventListener(
      'drop',
      (e) => {
        const raw = e.dataTransfer?.getData(DRAG_TYPE)
        if (!raw) return
        let url: unknown
        try {
          url = (JSON.parse(raw) as { url?: unknown }).url
        } catch {
          return
        }
        if (typeof url !== 'string' || !isAnnotationUrl(url)) return
        e.preventDefault()
        e.stopPropagation()
        target.classList.remove('drop-target')
        void load(url)
      },
      true,
    )
  }
  ;(window as unknown as { noraMarkers?: MarkerTool }).noraMarkers = tool
  return tool
}
