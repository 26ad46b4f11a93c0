/**
 * A saved ROI as DICOM SEG (src/http/api/seg): the download link, and the C-STORE of the SEG to a PACS node of
 * conf/pacs.conf. The server builds the SEG over the original DICOM series of the ROI's reference image.
 */
import { api } from '../../shared/dom'
import { withBase } from '../../shared/base-path'

/** Where an ROI was saved: its study and name (rois/NAME.nii.gz). */
export interface SavedRoi {
  project: string
  patientId: string
  studyId: string
  name: string
}

const e = encodeURIComponent

export const segUrl = (s: SavedRoi) => withBase(`/api/projects/${e(s.project)}/studies/${e(s.patientId)}/${e(s.studyId)}/rois/${e(s.name)}/seg`)

/** The PACS nodes the caller may use (empty when they may not query: the push is then not offered). */
export async function segNodes(): Promise<string[]> {
  try {
    const r = await api<{ nodes: { name: string }[] }>('GET', '/api/pacs/nodes')
    return r.nodes.map((n) => n.name)
  } catch {
    return []
  }
}

/** Sends the SEG to `node`; the line to show. */
export async function pushSeg(s: SavedRoi, node: string): Promise<string> {
  const r = await api<{ completed: number; failures: string[]; frames: number }>('POST', `${segUrl(s)}/push`, { node })
  return r.completed ? `SEG of ${s.name} (${r.frames} frames) stored on ${node}` : `SEG of ${s.name} refused by ${node}: ${r.failures[0] ?? 'no reason given'}`
}
