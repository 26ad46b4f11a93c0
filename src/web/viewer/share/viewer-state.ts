/**
 * The viewer's state as a shared link holds it (src/sharing/shared-state.ts), taken from and put back into the
 * viewer's own objects: the Viewer (layout, mosaic, active viewport), each Viewport (plane, NiiVue's pan/zoom and
 * crosshair, items with their viewbar settings in overlay order), the ROI tool's saved ROIs and the Marker tool's saved
 * sets. Only what lies in the archive can be shared: local files, unsaved ROIs and unsaved marker sets are named in
 * `left`, and the link is made without them.
 */
import { NVImage } from '@niivue/niivue'
import { SHARED_STATE_VERSION, type SharedItem, type SharedRoi, type SharedState, type SharedViewport } from '../../../sharing/shared-state'
import { withBase } from '../../shared/base-path'
import type { MarkerTool } from '../markers/marker-tool'
import { loadMarkers } from '../markers/markers-file'
import { createRoi, recount, referenceOf } from '../roi/roi'
import type { RoiTool } from '../roi/tool'
import type { Viewer } from '../viewer'
import type { Item, Viewport } from '../viewport'

/** The files API URL of a path inside a project (what the file tree's rows carry). */
export const fileUrl = (project: string, path: string) => `/api/projects/${encodeURIComponent(project)}/files/${path.split('/').map(encodeURIComponent).join('/')}`

export interface Captured {
  project?: string
  state: SharedState
  /** What could not be shared (not in the archive), as short phrases for the dialog. */
  left: string[]
}

const round = (x: number) => Math.round(x * 1e4) / 1e4

function crosshairOf(vp: Viewport): [number, number, number] | undefined {
  if (!vp.nv.volumes.length) return undefined
  const mm = vp.nv.frac2mm(vp.nv.scene.crosshairPos)
  return [round(mm[0]!), round(mm[1]!), round(mm[2]!)]
}

export function captureState(viewer: Viewer, rois: RoiTool | undefined, markers: MarkerTool | undefined): Captured {
  const left: string[] = []
  const projects = new Set<string>()
  const pathOf = (url: string | undefined, name: string): string | undefined => {
    const ref = referenceOf(name, url)
    if (!ref.project || !ref.path) return undefined
    projects.add(ref.project)
    return ref.path
  }
  const viewports: SharedViewport[] = []
  for (const vp of viewer.viewports) {
    const items: SharedItem[] = []
    for (const it of vp.items) {
      if (it.roi !== undefined) continue // ROIs come back from their saved files (below)
      const path = pathOf(it.source.url, it.name)
      if (!path) {
        left.push(`${it.name} (viewport ${vp.index}): not a file of the archive`)
        continue
      }
      items.push({ path, name: it.name, role: it.role, colormap: it.colormap, opacity: round(it.opacity), min: it.min, max: it.max, outline: it.outline, hidden: it.hidden })
    }
    const p = vp.nv.scene.pan2Dxyzmm
    const crosshair = crosshairOf(vp)
    viewports.push({ index: vp.index, plane: vp.plane, pan: [round(p[0]!), round(p[1]!), round(p[2]!), round(p[3]!)], ...(crosshair ? { crosshair } : {}), items })
  }
  const sharedRois: SharedRoi[] = []
  for (const roi of rois?.rois ?? []) {
    const ref = roi.reference.path
    if (!roi.saved || !ref) {
      left.push(`ROI ${roi.name}: not saved (save it to its study's rois/ first)`)
      continue
    }
    projects.add(roi.saved.project)
    sharedRois.push({
      path: `${roi.saved.patientId}/${roi.saved.studyId}/rois/${roi.saved.name}.nii.gz`,
      reference: ref,
      name: roi.name,
      colormap: roi.colormap,
      opacity: round(roi.opacity),
      outline: roi.outline,
      visible: roi.visible,
    })
  }
  const sets: { path: string }[] = []
  for (const set of markers?.sets ?? []) {
    if (!set.saved || !set.project) {
      left.push(`marker set ${set.name}: not saved (save it first)`)
      continue
    }
    projects.add(set.project)
    sets.push({ path: set.saved })
  }
  if (projects.size > 1) left.unshift(`files of ${projects.size} projects (${[...projects].join(', ')}): a link shows one project`)
  return {
    project: projects.size === 1 ? [...projects][0] : undefined,
    state: { version: SHARED_STATE_VERSION, layout: viewer.layout, mosaic: viewer.mosaic, active: viewer.active + 1, viewports, rois: sharedRois, markers: sets },
    left,
  }
}

/** Clears the viewer and the tools, then loads the state; answers what could not be restored. */
export async function restoreState(viewer: Viewer, rois: RoiTool | undefined, markers: MarkerTool | undefined, project: string, state: SharedState): Promise<string[]> {
  const problems: string[] = []
  for (const roi of [...(rois?.rois ?? [])]) rois!.remove(roi)
  for (const set of [...(markers?.sets ?? [])]) markers!.remove(set)
  viewer.clear()
  viewer.setLayout(state.layout)
  viewer.setMosaic(state.mosaic)
  for (const svp of state.viewports) {
    const vp = viewer.viewports[svp.index - 1]
    if (!vp) continue
    // In order: the background first, then the overlays as they were stacked.
    for (const it of svp.items) {
      const item = await viewer.load({ url: fileUrl(project, it.path), name: it.name, viewport: svp.index, as: it.role, colormap: it.colormap, opacity: it.opacity, min: it.min, max: it.max, outline: it.outline })
      if (!item) {
        problems.push(`${it.path}: ${viewer.status || 'could not be loaded'}`)
        continue
      }
      if (it.hidden) vp.set(item, { hidden: true })
    }
    if (!(svp.index === 1 && state.layout === 'three-plane')) vp.setPlane(svp.plane)
    else vp.plane = svp.plane
  }
  if (rois) for (const r of state.rois) await restoreRoi(viewer, rois, project, r).catch((e: unknown) => problems.push(`ROI ${r.name}: ${e instanceof Error ? e.message : String(e)}`))
  if (markers) {
    for (const m of state.markers) {
      try {
        const { set } = await loadMarkers(fileUrl(project, m.path))
        markers.create(set.kind, set, project).saved = m.path
      } catch (e) {
        problems.push(`marker set ${m.path}: ${e instanceof Error ? e.message : String(e)}`)
      }
    }
  }
  await viewer.idle()
  // Positions last: loading a background resets NiiVue's crosshair and pan.
  for (const svp of state.viewports) {
    const vp = viewer.viewports[svp.index - 1]
    if (!vp) continue
    await vp.ready
    vp.nv.scene.pan2Dxyzmm = [...svp.pan] as unknown as typeof vp.nv.scene.pan2Dxyzmm
    if (svp.crosshair && vp.nv.volumes.length) vp.nv.scene.crosshairPos = vp.nv.mm2frac(svp.crosshair)
    vp.nv.drawScene()
  }
  viewer.active = Math.min(state.active, viewer.visible().length) - 1
  return problems
}

/** A saved ROI back in the ROI tool: on the grid of its reference image (loaded by the state), its mask from the file. */
async function restoreRoi(viewer: Viewer, tool: RoiTool, project: string, r: SharedRoi): Promise<void> {
  const refUrl = fileUrl(project, r.reference)
  let image: Item | undefined = tool.images().find((i) => i.key === refUrl)?.item
  if (!image) image = await viewer.load({ url: refUrl, name: r.reference.split('/').pop()! })
  if (!image?.volume) throw new Error(`its reference image ${r.reference} could not be loaded`)
  const file = await NVImage.loadFromUrl({ url: withBase(fileUrl(project, r.path)), name: r.path.split('/').pop()! })
  const roi = createRoi(image.volume, { ...referenceOf(image.name, image.source.url), key: image.key }, r.name)
  const img = file.img as ArrayLike<number> | undefined
  if (!img || img.length < roi.mask.length) throw new Error(`${r.path} is not on the grid of ${r.reference} (${roi.grid.dims.join('×')})`)
  for (let i = 0; i < roi.mask.length; i++) roi.mask[i] = img[i]! > 0 ? 1 : 0
  recount(roi)
  Object.assign(roi, { colormap: r.colormap, opacity: r.opacity, outline: r.outline, visible: r.visible })
  const [patientId, studyId] = r.path.split('/')
  roi.saved = { project, patientId: patientId!, studyId: studyId!, name: r.path.split('/').pop()!.replace(/\.nii(\.gz)?$/i, '') }
  tool.rois.push(roi)
  tool.currentId = roi.id
  await tool.layers.sync(tool.rois)
  tool.onChange()
}
