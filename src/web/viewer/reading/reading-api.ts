/**
 * The readings JSON API (src/http/api/readings) as the browser calls it: /api/projects/P/readings/... with the
 * page's CSRF token. Types mirror the server's answers.
 */
import { api } from '../../shared/dom'

export type ReadingMode = 'training' | 'serious'

export interface Progress {
  done: number
  total: number
}

export interface ReadingSummary {
  id: number
  name: string
  mode?: string
  progress: { training: Progress; serious: Progress }
  isAdmin: boolean
  info?: { instructions?: string; links?: { label: string; url: string }[] }
  allowRestart?: { training?: boolean; serious?: boolean }
}

export interface ReadingCase {
  index: number
  caseKey: string
  repetition: number
  stage: number
  pid?: string
  sid?: string
  studyPath?: string
  label?: string
  done: boolean
}

export interface Session {
  sessionId: number | string
  cases: ReadingCase[]
  next: number | null
}

export interface CaseFile {
  path: string
  url: string
  viewport?: number
  as?: string
  colormap?: string
  min?: number
  max?: number
}

export interface ResultBody {
  sessionId: number | string
  caseKey: string
  repetition: number
  stage: number
  mode: ReadingMode
  values: Record<string, unknown>
  annotations: unknown[]
  activeSeconds: number
  startedAt: string
  /** ROIs drawn on the case (readings with `"tools": {"roi": 1}`): .nii.gz in base64. */
  rois?: { name: string; data: string }[]
}

const seg = encodeURIComponent

export class ReadingApi {
  constructor(readonly project: string) {}

  base(id?: number | string, tail = ''): string {
    return `/api/projects/${seg(this.project)}/readings${id === undefined ? '' : `/${seg(String(id))}`}${tail}`
  }

  list = () => api<ReadingSummary[] | { readings: ReadingSummary[] }>('GET', this.base()).then((r) => (Array.isArray(r) ? r : r.readings))
  get = (id: number) => api<{ id: number; name: string; config: Record<string, unknown> }>('GET', this.base(id))
  create = (config: Record<string, unknown>) => api<{ id: number }>('POST', this.base(), { config })
  update = (id: number, config: Record<string, unknown>) => api<unknown>('PUT', this.base(id), { config })
  remove = (id: number) => api<unknown>('DELETE', this.base(id))
  /** The reading tab's template with the viewer's state; id 0 for a new reading. */
  template = (id: number, viewer?: unknown) => api<unknown>('GET', this.base(id, `/template${viewer === undefined ? '' : `?${new URLSearchParams({ viewer: JSON.stringify(viewer) })}`}`))
  session = (id: number, mode: ReadingMode) => api<Session>('POST', this.base(id, '/session'), { mode })
  submit = (id: number, body: ResultBody) => api<{ ok: boolean; next: number | null }>('POST', this.base(id, '/results'), body)
  results = (id: number) => api<unknown>('GET', this.base(id, '/results'))
  restart = (id: number, mode: ReadingMode) => api<unknown>('POST', this.base(id, '/restart'), { mode })
  files = (id: number, caseKey: string, stage = 1) => api<CaseFile[] | { files: CaseFile[] }>('GET', this.base(id, `/cases/${seg(caseKey)}/files?stage=${stage}`)).then((r) => (Array.isArray(r) ? r : r.files))
  csvUrl = (id: number) => this.base(id, '/results.csv')
}
