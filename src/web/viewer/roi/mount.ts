/**
 * Mounts the ROI tool on the viewer: its panel (the workstation's `[data-tool-panel="roi"]`, or one made inside
 * #viewer when the page has none), the tool bar's `nora:tool` event, the keyboard (space: edit on/off, ctrl-Z /
 * shift-ctrl-Z: undo/redo), the viewbars' ⚙ menu (new ROI on this image; for an ROI: make current and edit) and images
 * dropped on the tool (a viewbar's hand ✋, a file of the file tree), which open the creation dialog.
 */
import { on, emit } from '../../shared/bus'
import { messageOf } from '../../shared/dom'
import type { Viewer } from '../viewer'
import { toolPanelElement } from '../tool-panel'
import type { Item, Viewport } from '../viewport'
import { RoiPanel } from './panel'
import { downloadRoi, safeRoiName } from './roi-file'
import { saveRoi } from './roi-save'
import { pushSeg } from './roi-seg'
import { roiStatistics, showStatsWindow } from './stats-window'
import { RoiTool, type LoadedImage } from './tool'
import { isDicomBundle } from '../dicom'
import { kindOf, rolesFor } from '../presets'
import { ITEM_DRAG_TYPE } from '../viewbar'

/** The file tree's drag (main.ts). */
const FILE_DRAG_TYPE = 'application/x-nora-file'

export function mountRoiTool(viewer: Viewer, root: HTMLElement): RoiTool {
  const tool = new RoiTool(viewer)
  const panelEl = toolPanelElement(root, 'roi', 'ROI tool', { text: '✎ ROI', title: 'ROI tool: draw, grow, edit, measure and save ROIs' })
  const panel = new RoiPanel(panelEl, tool, {
    stats: () => {
      const t0 = performance.now()
      try {
        const rows = roiStatistics(tool.rois, tool.images())
        showStatsWindow(root, rows, performance.now() - t0)
      } catch (e) {
        tool.status(`statistics: ${messageOf(e)}`)
      }
    },
    save: async (roi, name) => {
      tool.status(`saving ${roi.name}…`)
      try {
        const r = await saveRoi(roi, name)
        const { project, patientId, studyId } = roi.reference
        roi.saved = { project: project!, patientId: patientId!, studyId: studyId!, name: safeRoiName(name) }
        panel.render()
        tool.status(`saved ${roi.name}${r.path ? ` as ${r.path}` : ''}`)
      } catch (e) {
        tool.status(`save failed: ${messageOf(e)}`)
      }
    },
    download: (roi) => downloadRoi(roi).catch((e) => tool.status(`download failed: ${messageOf(e)}`)),
    pushSeg: async (roi, node) => {
      tool.status(`sending the SEG of ${roi.name} to ${node}…`)
      tool.status(await pushSeg(roi.saved!, node).catch((e) => `SEG to ${node} failed: ${messageOf(e)}`))
    },
  })
  tool.onChange = () => panel.render()
  viewer.onItemsChanged = () => tool.itemsChanged()
  /** Opens the panel as the tool bar's button does (the workstation then shows its panel column too). */
  const openPanel = () => {
    if (!panelEl.hidden) return
    const button = root.querySelector<HTMLElement>('[data-tool="roi"]')
    if (button) button.click()
    else emit('nora:tool', { tool: 'roi', open: true })
  }
  const askCreate = (image: LoadedImage) => {
    openPanel()
    panel.askCreate(image)
  }
  viewer.itemMenu = (vp, item, anchor) => itemMenu(tool, vp, item, anchor, askCreate)
  wireCreateDrops(viewer, tool, panelEl, askCreate)

  on('nora:tool', (d) => {
    if (!d || d.tool !== 'roi') return
    panelEl.hidden = !d.open
    root.querySelector('[data-tool="roi"]')?.setAttribute('aria-pressed', String(d.open))
    if (d.open) panel.render()
  })
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement | null
    if (t && (t.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName))) return
    if (!root.isConnected) return
    if (e.key === ' ' && !e.ctrlKey && !e.metaKey && !e.altKey) {
      tool.setEditing(!tool.editing())
      if (tool.editing()) openPanel()
    } else if ((e.ctrlKey || e.metaKey) && (e.key === 'z' || e.key === 'Z')) {
      if (e.shiftKey) tool.redoEdit()
      else tool.undoEdit()
    } else if ((e.ctrlKey || e.metaKey) && (e.key === 'y' || e.key === 'Y')) tool.redoEdit()
    else return
    e.preventDefault()
  })
  return tool
}

/**
 * Dropping an image on the ROI tool opens the creation dialog for it: a viewbar's hand ✋ (ITEM_DRAG_TYPE: that
 * viewport's item) or a file of the file tree (the viewer's file drag; loaded into the viewer first when it is not).
 */
function wireCreateDrops(viewer: Viewer, tool: RoiTool, panelEl: HTMLElement, askCreate: (image: LoadedImage) => void) {
  const ours = (e: DragEvent) => !!e.dataTransfer && [ITEM_DRAG_TYPE, FILE_DRAG_TYPE].some((t) => e.dataTransfer!.types.includes(t))
  // The panel, and the tool bar's ROI button (the seed: "drag ... onto the ROI-tool").
  const targets = [panelEl, viewer.root.querySelector<HTMLElement>('[data-tool="roi"]')].filter((t): t is HTMLElement => !!t)
  for (const target of targets) {
    target.addEventListener('dragover', (e) => {
      if (!ours(e)) return
      e.preventDefault()
      e.dataTransfer!.dropEffect = 'copy'
      target.classList.add('drop-target')
    })
    target.addEventListener('dragleave', (e) => {
      if (!target.contains(e.relatedTarget as Node | null)) target.classList.remove('drop-target')
    })
    target.addEventListener('drop', (e) => {
      target.classList.remove('drop-target')
      if (!ours(e)) return
      e.preventDefault()
      e.stopPropagation()
      dropped(e.dataTransfer!)
    })
  }
  const dropped = (dt: DataTransfer) => {
    const item = parse(dt.getData(ITEM_DRAG_TYPE))
    const file = parse(dt.getData(FILE_DRAG_TYPE))
    if (item) {
      const vp = viewer.viewports[Number(item.viewport) - 1]
      const it = vp?.items.find((i) => i.id === Number(item.item))
      if (!vp || !it?.volume) return tool.status('that image is no longer loaded: drag the hand of its viewbar again')
      return askCreate({ key: it.key, name: it.name, item: it, vp })
    }
    if (!file || typeof file.url !== 'string' || !file.url.startsWith('/')) return
    const url = file.url
    const name = String(file.name ?? url.split('/').pop())
    if (!rolesFor(kindOf(name)).includes('background') && !isDicomBundle(name)) return tool.status(`${name} is not an image an ROI can be made on (NIfTI, NRRD, MGH/MGZ or a DICOM series)`)
    const loaded = tool.images().find((i) => i.key === url)
    if (loaded) return askCreate(loaded)
    tool.status(`loading ${name} for a new ROI…`)
    void viewer.load({ url, name }).then((it) => {
      const vp = it && viewer.viewports.find((v) => v.items.includes(it))
      if (it?.volume && vp) askCreate({ key: it.key, name: it.name, item: it, vp })
    })
  }
}

function parse(raw: string | undefined): Record<string, unknown> | undefined {
  if (!raw) return undefined
  try {
    const v: unknown = JSON.parse(raw)
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The ⚙ of a viewbar: for an image, "New ROI…" (the creation dialog); for an ROI, make it current and edit. */
function itemMenu(tool: RoiTool, vp: Viewport, item: Item, anchor: HTMLElement, askCreate: (image: LoadedImage) => void) {
  document.querySelector('.roi-item-menu')?.remove()
  const menu = document.createElement('div')
  menu.className = 'roi-item-menu'
  menu.setAttribute('role', 'menu')
  const entry = (text: string, action: string, run: () => void) => {
    const b = document.createElement('button')
    b.type = 'button'
    b.dataset.roiMenu = action
    b.textContent = text
    b.addEventListener('click', () => {
      menu.remove()
      run()
    })
    menu.append(b)
  }
  const roi = item.roi === undefined ? undefined : tool.byId(item.roi)
  if (roi) {
    entry('make current and edit (✎)', 'edit', () => {
      tool.setCurrent(roi)
      tool.setEditing(true)
    })
  } else if (item.volume) {
    entry('New ROI… (empty or by threshold)', 'new', () => askCreate({ key: item.key, name: item.name, item, vp }))
  }
  const close = document.createElement('button')
  close.type = 'button'
  close.className = 'link'
  close.textContent = 'cancel'
  close.addEventListener('click', () => menu.remove())
  menu.append(close)
  anchor.closest('.viewbar')?.after(menu)
}
