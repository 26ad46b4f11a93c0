import type { ConvertRequest, WorkerMessage } from './dicom-worker'
import { gunzip, readTar } from './tar'
import { withBase } from '../shared/base-path'
import { cachedBytes } from '../shared/file-cache'

/** Where the conversion worker and dcm2niix's WASM are served (src/http/static-assets.ts). */
export const DICOM_WORKER_URL = '/static/js/dicom-worker.js'

/** One input file of a conversion: bytes from an archive bundle, or a File dropped from disk (read in the worker). */
export interface DicomInput {
  name: string
  data: Uint8Array | Blob
}

export type Progress = (message: string) => void

/** The importer's kept originals (src/importer/dicom-bundle.ts): one series per `.tar.gz` of `.dcm` members. */
export const isDicomBundle = (name: string) => /\.(tar\.gz|tgz|tar)$/i.test(name)
/** A dropped file the viewer cannot show itself is a DICOM candidate; dcm2niix skips whatever is not DICOM. */
export const isZip = (name: string) => /\.zip$/i.test(name)

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`

/**
 * DICOM -> NIfTI in the browser: dcm2niix (WASM) in a fresh Worker, terminated afterwards. Returns one .nii File
 * per series (dcm2niix's naming: `<series number>_<description>.nii`), sorted by series number.
 */
export function convertDicom(files: DicomInput[], progress: Progress = () => {}): Promise<File[]> {
  if (files.length === 0) return Promise.resolve([])
  return new Promise((resolve, reject) => {
    const worker = new Worker(withBase(DICOM_WORKER_URL), { type: 'module', name: 'nora-dcm2niix' })
    const done = (f: () => void) => {
      worker.terminate()
      f()
    }
    progress(`starting dcm2niix (WASM)…`)
    worker.onerror = (e) => done(() => reject(new Error(`the DICOM converter could not start (${e.message || 'worker error'})`)))
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const m = e.data
      if (m.type === 'ready') {
        const req: ConvertRequest = { files }
        const transfer = [...new Set(files.flatMap((f) => (f.data instanceof Uint8Array ? [f.data.buffer as ArrayBuffer] : [])))]
        worker.postMessage(req, transfer)
      } else if (m.type === 'progress') progress(m.phase === 'write' ? `reading DICOM ${m.done}/${m.total}…` : `converting ${m.total} DICOM files…`)
      else if (m.type === 'error') done(() => reject(new Error(m.message)))
      else if (m.type === 'done') done(() => resolve(m.files.map((f) => new File([f.data as BlobPart], f.name, { type: 'application/octet-stream' }))))
    }
  })
}

/** Fetches an archive file with a progress line; a bundle is gunzipped and untarred, anything else is one file. */
export async function fetchDicom(url: string, name: string, progress: Progress = () => {}): Promise<DicomInput[]> {
  // Through the local file cache (shared/file-cache.ts) when the user has a budget for remote use.
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await cachedBytes(withBase(url), (got, total) => progress(`fetching ${name}: ${mb(got)}${total ? ` of ${mb(total)}` : ''}…`)))
  } catch (e) {
    throw new Error(`the DICOM data could not be fetched (${(e as Error).message})`)
  }
  if (isZip(name)) return readZip(new Blob([bytes as BlobPart]))
  if (!isDicomBundle(name)) return [{ name, data: bytes }]
  progress(`unpacking ${name}…`)
  const tar = bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzip(new Blob([bytes as BlobPart]).stream()) : bytes
  return readTar(tar).map((m) => ({ name: m.name.split('/').pop() || 'x.dcm', data: m.data }))
}

/** Files of a folder dropped from disk (webkitGetAsEntry), recursively; readEntries returns batches. */
async function entryFiles(entry: FileSystemEntry, out: File[]): Promise<void> {
  if (entry.isFile) {
    out.push(await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej)))
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader()
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej))
      if (batch.length === 0) break
      for (const e of batch) await entryFiles(e, out)
    }
  }
}

/**
 * The files of a drop from disk, folders expanded. The entries must be taken synchronously in the drop event (the
 * DataTransfer is emptied afterwards); reading them is asynchronous.
 */
export function droppedFiles(dt: DataTransfer): Promise<File[]> {
  const items = Array.from(dt.items ?? []).filter((i) => i.kind === 'file')
  const taken = items.map((i) => ({ entry: i.webkitGetAsEntry?.() ?? null, file: i.getAsFile() }))
  if (taken.length === 0) return Promise.resolve(Array.from(dt.files ?? []))
  return (async () => {
    const out: File[] = []
    for (const t of taken) {
      if (t.entry?.isDirectory) await entryFiles(t.entry, out)
      else if (t.file) out.push(t.file)
    }
    return out
  })()
}

/** Members of a zip (stored or deflated), inflated with DecompressionStream('deflate-raw'); via the central directory. */
export async function readZip(blob: Blob): Promise<DicomInput[]> {
  const buf = new Uint8Array(await blob.arrayBuffer())
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  let eocd = -1
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) if (dv.getUint32(i, true) === 0x06054b50) { eocd = i; break }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)')
  const count = dv.getUint16(eocd + 10, true)
  let p = dv.getUint32(eocd + 16, true)
  const out: DicomInput[] = []
  for (let n = 0; n < count; n++) {
    if (dv.getUint32(p, true) !== 0x02014b50) throw new Error('zip central directory is damaged')
    const method = dv.getUint16(p + 10, true)
    const csize = dv.getUint32(p + 20, true)
    const nameLen = dv.getUint16(p + 28, true)
    const extraLen = dv.getUint16(p + 30, true)
    const commentLen = dv.getUint16(p + 32, true)
    const local = dv.getUint32(p + 42, true)
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen))
    p += 46 + nameLen + extraLen + commentLen
    if (name.endsWith('/')) continue
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true)
    const raw = buf.subarray(start, start + csize)
    if (method === 0) out.push({ name, data: raw })
    else if (method === 8) out.push({ name, data: new Uint8Array(await new Response(new Blob([raw as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).arrayBuffer()) })
    else throw new Error(`${name}: zip compression method ${method} is not supported (use stored or deflate)`)
  }
  return out
}
