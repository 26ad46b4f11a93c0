import type { Config } from '../config/load-config'
import { NotFoundError } from '../core/errors'
import { echo, find, type DicomNode, type FindResult, type QueryLevel, type ScuOptions } from '../dicom/dimse/scu'

export type { FindResult, QueryLevel } from '../dicom/dimse/scu'

export interface EchoOutcome {
  node: string
  aet: string
  address: string
  ok: boolean
  ms?: number
  error?: string
}

/** The PACS nodes of conf/pacs.conf, by name: echo and query. Errors say which node, where, and why. */
export class PacsService {
  constructor(
    private readonly config: Pick<Config, 'pacs'> & { main: { dicom: { aet: string } } },
    private readonly opts: ScuOptions = {},
  ) {}

  /** nora's own AE title, used as the calling AE toward every PACS. */
  get callingAet(): string {
    return this.config.main.dicom.aet
  }

  names(): string[] {
    return Object.keys(this.config.pacs.nodes)
  }

  node(name: string): DicomNode {
    const n = this.config.pacs.nodes[name]
    if (!n) {
      const names = this.names()
      throw new NotFoundError(`no PACS node "${name}" in conf/pacs.conf; configured: ${names.length ? names.join(', ') : 'none (add nodes: { NAME: { aet, host, port } })'}`)
    }
    return { name, aet: n.aet, host: n.host, port: n.port }
  }

  /** C-ECHO; resolves with the round trip in ms, throws a DimseError (a ServiceError) naming the node when it fails. */
  async echo(name: string): Promise<number> {
    const node = this.node(name)
    return echo(node, this.callingAet, this.opts)
  }

  async find(name: string, level: QueryLevel, keys: Record<string, string> = {}): Promise<FindResult[]> {
    const node = this.node(name)
    return find(node, this.callingAet, level, keys, this.opts)
  }

  /** Echoes every configured node at once (for `nora test dicom`); never throws. */
  echoAll(): Promise<EchoOutcome[]> {
    return Promise.all(
      this.names().map(async (name) => {
        const n = this.node(name)
        const base = { node: name, aet: n.aet, address: `${n.host}:${n.port}` }
        try {
          return { ...base, ok: true, ms: await this.echo(name) }
        } catch (e) {
          return { ...base, ok: false, error: (e as Error).message }
        }
      }),
    )
  }
}

/**
 * DICOM dates and ranges from what users type: `2001-2003` -> `20010101-20031231`, `2003-05-05` -> `20030505`,
 * `200305` -> `20030501-20030531`, `2001-` -> `20010101-`, `2001-01-01-2002-06-30`. Anything else is passed as is.
 */
export function normalizeDateKey(value: string): string {
  const v = value.replace(/\s+/g, '')
  if (v === '' || v === '*') return ''
  const bound = (d: string, end: boolean): string | undefined => {
    if (d === '') return ''
    if (!/^\d+$/.test(d)) return undefined
    if (d.length === 8) return d
    if (d.length === 6) return end ? `${d}${String(new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6), 0)).getUTCDate()).padStart(2, '0')}` : `${d}01`
    if (d.length === 4) return end ? `${d}1231` : `${d}0101`
    return undefined
  }
  const parts = v.split('-')
  const iso = (p: string[]) => p.length === 3 && /^\d{4}$/.test(p[0]!) && /^\d{2}$/.test(p[1]!) && /^\d{2}$/.test(p[2]!)
  let from: string | undefined
  let to: string | undefined
  if (parts.length === 1) {
    if (parts[0]!.length === 8) return parts[0]!
    from = bound(parts[0]!, false)
    to = bound(parts[0]!, true)
  } else if (iso(parts)) return parts.join('')
  else if (parts.length === 2) {
    from = bound(parts[0]!, false)
    to = bound(parts[1]!, true)
  } else if (parts.length === 6 && iso(parts.slice(0, 3)) && iso(parts.slice(3))) {
    from = parts.slice(0, 3).join('')
    to = parts.slice(3).join('')
  }
  return from === undefined || to === undefined ? value : `${from}-${to}`
}
