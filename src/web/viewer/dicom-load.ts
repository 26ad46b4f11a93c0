import { convertDicom, fetchDicom, isDicomBundle, isZip, readZip, type DicomInput } from './dicom'
import type { ItemRole } from './presets'
import { gunzip, readTar } from './tar'
import type { Item, Viewport } from './viewport'

/** What the viewer needs from its host to show converted series (src/web/viewer/viewer.ts implements it). */
export interface DicomHost {
  load(req: { file: File; name: string; viewport: number; as?: ItemRole }): Promise<Item | undefined>
  setStatus(message: string): void
}

export interface DicomSource {
  name: string
  /** An archive file (a series bundle .tar.gz, or one .dcm). */
  url?: string
  /** Files dropped from disk: DICOM files, folders' contents, zips or tar(.gz) archives. */
  files?: File[]
}

/** The progress box in a viewport's corner while a series is fetched and converted. */
function progressBox(vp: Viewport): { set(m: string): void; close(): void } {
  let box = vp.element.querySelector<HTMLElement>('.vp-progress')
  if (!box) {
    box = document.createElement('div')
    box.className = 'vp-progress'
    box.setAttribute('role', 'status')
    vp.element.append(box)
  }
  const el = box
  el.hidden = false
  return { set: (m) => (el.textContent = m), close: () => ((el.hidden = true), (el.textContent = '')) }
}

async function inputsOf(files: File[]): Promise<DicomInput[]> {
  const out: DicomInput[] = []
  for (const f of files) {
    if (isZip(f.name)) out.push(...(await readZip(f)))
    else if (isDicomBundle(f.name)) {
      const head = new Uint8Array(await f.slice(0, 2).arrayBuffer())
      const tar = head[0] === 0x1f && head[1] === 0x8b ? await gunzip(f.stream()) : new Uint8Array(await f.arrayBuffer())
      out.push(...readTar(tar).map((m) => ({ name: m.name.split('/').pop() || 'x.dcm', data: m.data })))
    } else out.push({ name: f.name, data: f })
  }
  return out
}

/** A small chooser in the viewport when the conversion gave several series: one button per series. */
function seriesChooser(host: DicomHost, vp: Viewport, series: File[]) {
  vp.element.querySelector('.vp-series')?.remove()
  if (series.length < 2) return
  const box = document.createElement('div')
  box.className = 'vp-series'
  const title = document.createElement('span')
  title.textContent = `${series.length} series:`
  box.append(title)
  for (const [i, f] of series.entries()) {
    const b = document.createElement('button')
    b.type = 'button'
    b.dataset.series = String(i)
    b.textContent = f.name.replace(/\.nii$/, '')
    b.addEventListener('click', () => void host.load({ file: f, name: f.name, viewport: vp.index, as: 'background' }))
    box.append(b)
  }
  const close = document.createElement('button')
  close.type = 'button'
  close.className = 'link'
  close.textContent = '×'
  close.title = 'close the series list'
  close.addEventListener('click', () => box.remove())
  box.append(close)
  vp.element.append(box)
}

/**
 * DICOM into a viewport: fetch (archive) or read (disk), convert in the browser with dcm2niix (WASM), load the first
 * series and offer the others. Throws with a message for the status line.
 */
export async function loadDicom(host: DicomHost, vp: Viewport, src: DicomSource, role?: ItemRole): Promise<Item | undefined> {
  const p = progressBox(vp)
  const timings: Record<string, number> = {}
  let t = performance.now()
  try {
    p.set(`reading ${src.name}…`)
    const inputs = src.url ? await fetchDicom(src.url, src.name, p.set) : await inputsOf(src.files ?? [])
    timings.fetchMs = performance.now() - t
    t = performance.now()
    const series = await convertDicom(inputs, p.set)
    timings.convertMs = performance.now() - t
    if (series.length === 0) throw new Error(`no DICOM image in ${src.url ? src.name : 'the dropped files'}`)
    p.set(`showing ${series[0]!.name}…`)
    t = performance.now()
    const item = await host.load({ file: series[0]!, name: series[0]!.name, viewport: vp.index, as: role })
    timings.showMs = performance.now() - t
    vp.timings.dicom = timings
    seriesChooser(host, vp, series)
    if (series.length > 1) host.setStatus(`${src.name}: ${series.length} series; showing ${series[0]!.name}; others: ${series.slice(1).map((f) => f.name).join(', ')}`)
    return item
  } finally {
    p.close()
  }
}
