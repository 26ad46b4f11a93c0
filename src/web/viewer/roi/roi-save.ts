/**
 * Saving an ROI to the server (src/http/api/rois): the mask's bytes (one per voxel, i fastest, gzip-compressed) go to
 * `PUT /api/projects/P/studies/PID/SID/rois/NAME?reference=PATH` with the reference file's path in the project; the
 * server writes rois/NAME.nii.gz with the reference's geometry and a provenance sidecar into the study and registers
 * it. The file tree then reloads (bus: nora:table-changed).
 */
import { emit } from '../../shared/bus'
import { csrf, errorOf } from '../../shared/dom'
import { gzip, safeRoiName } from './roi-file'
import type { Roi } from './roi'
import { withBase } from '../../shared/base-path'

export async function saveRoi(roi: Roi, name: string): Promise<{ path?: string; replaced?: boolean }> {
  const { project, path, patientId, studyId } = roi.reference
  if (!project || !path || !patientId || !studyId) throw new Error(`${roi.name}: its reference ${roi.reference.name} is not a file of a study in the archive, so there is no study to save it in; download it instead`)
  const seg = encodeURIComponent
  const url = `/api/projects/${seg(project)}/studies/${seg(patientId)}/${seg(studyId)}/rois/${seg(safeRoiName(name))}?reference=${seg(path)}`
  const res = await fetch(withBase(url), {
    method: 'PUT',
    headers: { 'content-type': 'application/gzip', 'x-csrf-token': csrf(), accept: 'application/json' },
    body: (await gzip(roi.mask)) as BlobPart,
    credentials: 'same-origin',
  })
  const body: unknown = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(errorOf(body) || `${res.status} ${res.statusText}`)
  emit('nora:table-changed')
  return body as { path?: string }
}
