/**
 * A marker set to and from the server: `PUT /api/projects/P/studies/PID/SID/annotations/NAME` (src/http/api/
 * annotations) into the study of its reference image, then the file tree reloads (bus: nora:table-changed); loading
 * fetches an annotations/NAME.json through the files API. Also a download as Slicer markups (.mrk.json).
 */
import { formatPointSet, formatSlicer, parsePointSet, type PointSet } from '../../../markers'
import { emit } from '../../shared/bus'
import { csrf, errorOf } from '../../shared/dom'
import type { MarkerSet } from './marker-tool'
import { withBase } from '../../shared/base-path'

/** A file name part from a set's name: letters, digits, '-', '_', '.'; the rest becomes '_'. */
export const safeName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, 100) || 'markers'

export async function saveMarkers(set: MarkerSet): Promise<string> {
  const [patientId, studyId] = set.reference.split('/')
  if (!set.project || !patientId || !studyId || set.reference.split('/').length < 3)
    throw new Error(`${set.name}: its reference image is not a file of a study in the archive, so there is no study to save it in; download it instead`)
  const seg = encodeURIComponent
  const res = await fetch(withBase(`/api/projects/${seg(set.project)}/studies/${seg(patientId)}/${seg(studyId)}/annotations/${seg(safeName(set.name))}`), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf(), accept: 'application/json' },
    body: formatPointSet(set),
    credentials: 'same-origin',
  })
  const body: unknown = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(errorOf(body) || `${res.status} ${res.statusText}`)
  emit('nora:table-changed')
  set.saved = (body as { path?: string }).path
  return set.saved ?? ''
}

/** An annotation file of the archive (its files API URL) as a set, and the project it is in. */
export async function loadMarkers(url: string): Promise<{ set: PointSet; project?: string }> {
  const res = await fetch(withBase(url), { credentials: 'same-origin' })
  if (!res.ok) throw new Error(`${url.split('/').pop()}: ${res.status} ${res.statusText}`)
  const set = parsePointSet(await res.text(), decodeURIComponent(url.split('/').pop() ?? 'annotation'))
  const m = url.match(/^\/api\/projects\/([^/]+)\/files\//)
  return { set, project: m ? decodeURIComponent(m[1]!) : undefined }
}

/** True for a files API URL of a study's annotations/NAME.json. */
export const isAnnotationUrl = (url: string) => /^\/api\/projects\/[^/]+\/files\/.+\/annotations\/[^/]+\.json$/.test(url)

export function downloadSlicer(set: PointSet) {
  const a = document.createElement('a')
  a.href = URL.createObjectURL(new Blob([formatSlicer(set)], { type: 'application/json' }))
  a.download = `${safeName(set.name)}.mrk.json`
  a.click()
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
}
