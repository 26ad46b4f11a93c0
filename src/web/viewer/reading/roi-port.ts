/**
 * The ROI tool (viewer/roi) as a reading uses it when its reading JSON turns it on (`"tools": {"roi": 1}`): the ROIs
 * the reader draws on a case go with the result (each a NIfTI mask with its reference image's grid, gzip-compressed,
 * base64 in the result's JSON; the server checks the grid and keeps them with the result, not in the archive), and
 * they are removed between cases. Empty ROIs are left out.
 */
import { checkRoiName } from '../../../roi/roi-name'
import { gzip, roiNifti, safeRoiName } from '../roi/roi-file'
import { roiMl } from '../roi/roi'
import type { RoiTool } from '../roi/tool'

export interface RoiUpload {
  name: string
  /** The .nii.gz file, base64. */
  data: string
}

/** Bytes as base64, in chunks (String.fromCharCode takes a bounded number of arguments). */
export function base64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

/** A name the server takes (letters, digits, . _ -; a letter or digit first), unique among `taken`. */
export function uploadName(raw: string, n: number, taken: Set<string>): string {
  const safe = safeRoiName(raw).replace(/^-+/, '')
  const base = 'problem' in checkRoiName(safe) ? `roi${n}` : safe
  let name = base
  for (let k = 2; taken.has(name); k++) name = `${base.slice(0, 90)}_${k}`
  taken.add(name)
  return name
}

/** An ROI of the case as the session panel lists it. */
export interface CaseRoi {
  id: number
  name: string
  voxels: number
  ml: number
  current: boolean
}

export class ReadingRois {
  private readonly watchers = new Set<() => void>()

  constructor(private readonly tool: RoiTool) {
    // The ROI tool tells one listener (its own panel) about changes: chain ours after it.
    const panel = tool.onChange
    tool.onChange = () => {
      panel()
      for (const w of this.watchers) w()
    }
  }

  /** Calls `fn` after anything of the ROIs changed (drawn, created, renamed, removed); returns the unsubscribe. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn)
    return () => this.watchers.delete(fn)
  }

  /** The ROIs on the case, in the tool's order. */
  list(): CaseRoi[] {
    return this.tool.rois.map((r) => ({ id: r.id, name: r.name, voxels: r.voxels, ml: roiMl(r), current: r.id === this.tool.currentId }))
  }

  /**
   * A new empty ROI on the case's image (the active viewport's background), made current with edit on: the reader
   * draws at once. Undefined (and the tool says why) when no image is loaded yet.
   */
  async draw(): Promise<CaseRoi | undefined> {
    const roi = await this.tool.create(this.tool.defaultImage(), 'empty')
    if (!roi) return undefined
    if (!this.tool.editing()) this.tool.setEditing(true)
    return this.list().find((r) => r.id === roi.id)
  }

  /** Makes an ROI current with edit on (to draw more of it). */
  edit(id: number) {
    const roi = this.tool.byId(id)
    if (!roi) return
    this.tool.setCurrent(roi)
    if (!this.tool.editing()) this.tool.setEditing(true)
  }

  /** Removes one ROI from the case. */
  remove(id: number) {
    const roi = this.tool.byId(id)
    if (roi) this.tool.remove(roi)
  }

  /** ROIs with at least one voxel. */
  drawn() {
    return this.tool.rois.filter((r) => r.voxels > 0)
  }

  /** The drawn ROIs as the result's uploads. */
  async uploads(): Promise<RoiUpload[]> {
    const taken = new Set<string>()
    const out: RoiUpload[] = []
    for (const [i, roi] of this.drawn().entries()) out.push({ name: uploadName(roi.name, i + 1, taken), data: base64(await gzip(roiNifti(roi))) })
    return out
  }

  /** Removes every ROI (a new case starts without the last case's ROIs). */
  reset() {
    if (this.tool.editing()) this.tool.setEditing(false)
    for (const roi of [...this.tool.rois]) this.tool.remove(roi)
  }
}
