/**
 * Mounts the Reading tool on the viewer: its panel (the workstation's `[data-tool-panel="reading"]`, R in the tool
 * bar), the readings list, the configuration dialog, the results dialog and reading sessions. The list loads when
 * the panel first opens; a session replaces the list in the panel until it ends.
 */
import { on } from '../../shared/bus'
import { withBase } from '../../shared/base-path'
import { messageOf } from '../../shared/dom'
import type { MarkerTool } from '../markers/marker-tool'
import type { RoiTool } from '../roi/tool'
import { toolPanelElement } from '../tool-panel'
import type { Viewer } from '../viewer'
import { ConfigDialog } from './config-dialog'
import { ReadingMarkers } from './marker-port'
import { ReadingPanel } from './panel'
import { ReadingApi } from './reading-api'
import { showResults } from './results-dialog'
import { ReadingRois } from './roi-port'
import { ReadingSession } from './session'

/** The workstation's project (the desktop page's `.workstation[data-project]`). */
const projectOf = (root: HTMLElement) => root.closest<HTMLElement>('[data-project]')?.dataset.project ?? document.querySelector<HTMLElement>('.workstation[data-project]')?.dataset.project ?? ''

/**
 * The viewer's state as a reading's "viewer" part: the layout, and what the viewports show as autoloader items
 * (patterns relative to the study, from the archive files' URLs); none when nothing of the archive is shown (the
 * server then fills in the project's active preset).
 */
export function viewerPart(viewer: Viewer): Record<string, unknown> {
  const s = viewer.state()
  const autoloaders = s.viewports
    .filter((v) => v.visible)
    .flatMap((v) =>
      v.items.flatMap((i) => {
        const m = /^(?:.*)?\/api\/projects\/[^/]+\/files\/[^/]+\/[^/]+\/(.+)$/.exec(i.key)
        if (!m) return []
        const item: Record<string, unknown> = { pattern: m[1]!.split('/').map(decodeURIComponent).join('/'), viewport: v.index, as: i.role, colormap: i.colormap || 'gray' }
        if (Number.isFinite(i.min)) item.min = i.min
        if (Number.isFinite(i.max)) item.max = i.max
        return [item]
      }),
    )
  return { layout: s.layout, ...(autoloaders.length ? { autoloaders } : {}) }
}

export function mountReadingTool(viewer: Viewer, root: HTMLElement, markerTool?: MarkerTool, roiTool?: RoiTool): void {
  const project = projectOf(root)
  if (!project) return
  const panelEl = toolPanelElement(root, 'reading', 'Reading tool', { text: 'R Readings', title: 'Reading tool: structured reading sessions' })
  const api = new ReadingApi(project)
  const markers = markerTool ? new ReadingMarkers(markerTool) : undefined
  const rois = roiTool ? new ReadingRois(roiTool) : undefined
  let session: ReadingSession | undefined
  let loaded = false
  const host = document.createElement('div')
  host.className = 'reading-panel'
  panelEl.replaceChildren(host)
  const csvHref = (url: string) => withBase(url)
  /** A result's ROI onto its case: the case's images first (not during a session, whose case stays), then the mask. */
  const openRoi = async (roi: { url: string; name: string }, result: { caseKey?: unknown; stage?: unknown }, id: number) => {
    if (!session && typeof result.caseKey === 'string') {
      viewer.clear()
      for (const f of await api.files(id, result.caseKey, Number(result.stage) || 1).catch(() => []))
        void viewer.load({ url: f.url, name: f.path.split('/').pop() || f.path, viewport: f.viewport, as: f.as as never, colormap: f.colormap, min: f.min, max: f.max })
      await viewer.idle()
    }
    await viewer.load({ url: roi.url, name: `${roi.name}.nii.gz`, as: 'mask', colormap: 'red', viewport: 1 })
  }
  const panel = new ReadingPanel(host, api, {
    start: (r, mode) => {
      session = new ReadingSession(host, { api, viewer, markers, rois, done: (message) => {
        session = undefined
        void panel.refresh().then(() => message && panel.status(message))
      } }, r, mode)
      session.start().catch((e) => {
        session?.close(`could not start ${mode}: ${messageOf(e)}`)
      })
    },
    edit: (r) => void config.open(r?.id),
    results: (r) => void showResults(api, r, csvHref, (roi, result) => void openRoi(roi, result, r.id)),
  })
  const config = new ConfigDialog({
    api,
    viewerState: () => viewerPart(viewer),
    saved: (message) => {
      if (session) return
      void panel.refresh().then(() => panel.status(message))
    },
  })
  on('nora:tool', (d) => {
    if (!d || d.tool !== 'reading') return
    panelEl.hidden = !d.open
    if (d.open && !loaded && !session) {
      loaded = true
      void panel.refresh()
    }
  })
  ;(window as unknown as { noraReading?: unknown }).noraReading = { panel, api, session: () => session }
}
