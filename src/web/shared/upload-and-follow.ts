/**
 * Upload one file with progress (XHR: fetch has no upload progress), then follow the import it started to its end.
 * Used by the "Upload dicoms" form (pages/upload.ts) and by drops on the desktop (desktop/dropzone.ts).
 */
import { csrf, errorOf } from './dom'
import { withBase } from './base-path'

/** What GET /api/imports/:id answers (the fields shown). */
export interface ImportState {
  id: string | number
  state: string
  phase?: string
  done: number
  total: number
  counts?: Partial<Record<'patients' | 'studies' | 'series' | 'instances' | 'skipped' | 'errors', number>>
  problems?: { kind: string; file: string; message: string }[]
}

export interface UploadAnswer {
  status: number
  statusText: string
  /** The JSON body, or {} when the answer was not JSON. */
  body: { id?: string | number; status?: string; path?: string; error?: string }
}

/** Sends `file` as the raw request body; resolves with the answer, rejects when the connection broke. */
export function uploadWithProgress(url: string, file: Blob, onProgress: (loaded: number, total: number) => void, headers: Record<string, string> = {}): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', withBase(url))
    xhr.setRequestHeader('X-CSRF-Token', csrf())
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v)
    xhr.setRequestHeader('content-type', 'application/octet-stream')
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total)
    }
    xhr.onload = () => resolve({ status: xhr.status, statusText: xhr.statusText, body: parseBody(xhr.responseText) })
    xhr.onerror = () => reject(new Error('the connection broke'))
    xhr.send(file)
  })
}

/** A response text as a JSON object, or {} when it is not one. */
export function parseBody(text: string): UploadAnswer['body'] {
  try {
    const v: unknown = JSON.parse(text)
    return v && typeof v === 'object' ? (v as UploadAnswer['body']) : {}
  } catch {
    return {}
  }
}

/** Whether an import is still on its way. */
export function importRunning(s: Pick<ImportState, 'state'>): boolean {
  return s.state === 'queued' || s.state === 'running'
}

/**
 * Polls an import's status URL every `intervalMs` while it is queued or running, telling `onState` each answer;
 * resolves with the last state, rejects when the state cannot be read.
 */
export async function followImport(statusUrl: string, onState: (s: ImportState) => void, intervalMs = 500): Promise<ImportState> {
  for (;;) {
    const s = (await (await fetch(withBase(statusUrl), { headers: { accept: 'application/json' } })).json()) as ImportState
    onState(s)
    if (!importRunning(s)) return s
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** The full line of the upload form: `import 3: running (convert) 1/4 series; 1 patients, ...`. */
export function importSummary(s: ImportState): string {
  const c = s.counts || {}
  return `import ${s.id}: ${s.state} (${s.phase}) ${s.done}/${s.total || '?'} series; ${c.patients} patients, ${c.studies} studies, ${c.series} series, ${c.instances} instances, ${c.skipped} skipped, ${c.errors} errors`
}

/** The short line of a dropped file: `import 3: done (finished) 2 series, 0 errors`. */
export function importShort(s: ImportState): string {
  const c = s.counts || {}
  return `import ${s.id}: ${s.state} (${s.phase}) ${c.series || 0} series, ${c.errors || 0} errors`
}

/** The refusal line: `refused (403): no write right` (the server's error, else the status text). */
export function refusal(a: UploadAnswer): string {
  return `(${a.status}): ${errorOf(a.body) || a.statusText}`
}

/** Percent of an upload, rounded. */
export function percent(loaded: number, total: number): number {
  return Math.round((100 * loaded) / total)
}
