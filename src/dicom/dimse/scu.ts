import type { Socket } from 'node:net'
import dcmjs from 'dcmjs'
import dimse from 'dcmjs-dimse'
import { ServiceError } from '../../core/errors'

// The only place, with store-scp.ts, that imports dcmjs-dimse.
const { Client, Dataset } = dimse
const { CEchoRequest, CFindRequest } = dimse.requests
const { Status } = dimse.constants
const PATIENT_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.1.1'
dimse.log.setLevel('silent')

/** A remote DICOM node (conf/pacs.conf `nodes.NAME`). */
export interface DicomNode {
  name: string
  aet: string
  host: string
  port: number
}

export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES'

/**
 * A PACS did not answer, refused us, or answered with a failure. The message names the node and where it is. A
 * backend that cannot serve us: a ServiceError (CLI exit 4, HTTP 503).
 */
export class DimseError extends ServiceError {
  constructor(
    readonly node: DicomNode,
    readonly kind: 'unreachable' | 'timeout' | 'rejected' | 'failed',
    detail: string,
  ) {
    super(`PACS "${node.name}" (${node.aet}) at ${node.host}:${node.port} ${kind === 'rejected' ? 'refused the association' : kind === 'failed' ? 'answered with a failure' : 'did not answer'}: ${detail}`)
  }
}

export interface ScuOptions {
  /** Whole operation (connect, associate, all responses, release). Default 30 s. */
  timeoutMs?: number
}

/** The keys returned for each level (others given in `keys` are returned too). */
export const RETURN_KEYS: Record<QueryLevel, string[]> = {
  PATIENT: ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'NumberOfPatientRelatedStudies'],
  STUDY: ['PatientName', 'PatientID', 'PatientBirthDate', 'StudyInstanceUID', 'StudyDate', 'StudyTime', 'StudyDescription', 'ModalitiesInStudy', 'AccessionNumber', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances'],
  SERIES: ['StudyInstanceUID', 'SeriesInstanceUID', 'SeriesNumber', 'Modality', 'SeriesDescription', 'SeriesDate', 'NumberOfSeriesRelatedInstances'],
}

const REJECT_REASONS: Record<number, string> = {
  1: 'no reason given',
  2: 'application context name not supported',
  3: 'calling AE title not recognized (add nora to the PACS as a known modality)',
  7: 'called AE title not recognized (check aet in conf/pacs.conf)',
}

const REJECT_REASONS_PROVIDER: Record<number, string> = { 1: 'no reason given', 2: 'protocol version not supported' }

/** True for a DICOM keyword (PatientID, StudyDate...) that a query can carry. */
export function isKeyword(k: string): boolean {
  return /^[A-Z][A-Za-z0-9]+$/.test(k) && Boolean((dcmjs.data.DicomMetaDictionary.nameMap as Record<string, unknown>)[k])
}

/** A query result as plain strings: PN values as their alphabetic form, multi-values joined with backslash. */
export type FindResult = Record<string, string>

function plain(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (Array.isArray(v)) return v.map(plain).join('\\')
  if (typeof v === 'object') {
    const pn = v as { Alphabetic?: string }
    return pn.Alphabetic ?? ''
  }
  return String(v)
}

/**
 * Runs requests over one association and resolves when it is released; rejects with a DimseError on a refused
 * association, a network error, an abort, or when the whole exchange takes longer than the timeout.
 */
export function runAssociation(
  node: DicomNode,
  callingAet: string,
  requests: dimse.requests.Request[],
  opts: ScuOptions,
  setup?: (client: InstanceType<typeof Client>, network: unknown) => void,
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const client = new Client()
  for (const r of requests) client.addRequest(r)
  return new Promise<void>((resolve, reject) => {
    let settled = false
    const finish = (e?: DimseError) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (e) reject(e)
      else resolve()
    }
    const network = () => (client as unknown as { network?: { socket?: Socket } }).network
    const timer = setTimeout(() => {
      try {
        const socket = network()?.socket
        socket?.destroy()
      } catch {}
      finish(new DimseError(node, 'timeout', `no complete answer within ${Math.round(timeoutMs / 1000)} s`))
    }, timeoutMs)
    client.on('associationRejected', (result: { result: number; source: number; reason: number }) => {
      const reason = result.source === 1 ? REJECT_REASONS[result.reason] : REJECT_REASONS_PROVIDER[result.reason]
      finish(new DimseError(node, 'rejected', reason ?? `reason ${result.reason} from source ${result.source}`))
    })
    client.on('networkError', (e: Error) => {
      const msg = e.message.replace(/^.*Connection error: /, '')
      finish(new DimseError(node, /timed? ?out/i.test(msg) ? 'timeout' : 'unreachable', msg))
    })
    client.on('closed', () => finish(new DimseError(node, 'unreachable', 'the connection closed before the association was released')))
    client.on('associationReleased', () => finish())
    client.send(node.host, node.port, callingAet, node.aet, {
      connectTimeout: Math.min(timeoutMs, 10_000),
      associationTimeout: timeoutMs,
      pduTimeout: timeoutMs,
    })
    const net = network() as ({ socket?: Socket; on?(e: string, f: () => void): void } | undefined)
    net?.socket?.setNoDelay?.(true)
    net?.on?.('abort', () => finish(new DimseError(node, 'failed', 'the PACS aborted the association')))
    setup?.(client, net)
  })
}

/** C-ECHO: resolves with the round trip in milliseconds. */
export async function echo(node: DicomNode, callingAet: string, opts: ScuOptions = {}): Promise<number> {
  const t0 = performance.now()
  const request = new CEchoRequest()
  let status: number | undefined
  request.on('response', (r: dimse.responses.CEchoResponse) => (status = r.getStatus()))
  await runAssociation(node, callingAet, [request], opts)
  if (status === undefined) throw new DimseError(node, 'failed', 'no C-ECHO response')
  if (status !== Status.Success) throw new DimseError(node, 'failed', `C-ECHO status 0x${status.toString(16).padStart(4, '0')}`)
  return performance.now() - t0
}

/**
 * C-FIND at PATIENT (patient root), STUDY or SERIES (study root) level. `keys` are matching keys (DICOM keywords,
 * values as the standard writes them: `Doe^J*`, `20010101-20031231`); the level's return keys are added.
 */
export async function find(node: DicomNode, callingAet: string, level: QueryLevel, keys: Record<string, string>, opts: ScuOptions & { limit?: number } = {}): Promise<FindResult[]> {
  const elements: Record<string, string> = {}
  for (const k of RETURN_KEYS[level]) elements[k] = ''
  Object.assign(elements, keys)
  elements.QueryRetrieveLevel = level
  const request = new CFindRequest()
  if (level === 'PATIENT') request.setAffectedSopClassUid(PATIENT_ROOT_FIND)
  request.setDataset(new Dataset(elements))
  const results: FindResult[] = []
  let final: number | undefined
  let comment = ''
  request.on('response', (r: dimse.responses.CFindResponse) => {
    const status = r.getStatus()
    if (status === Status.Pending || status === 0xff01) {
      const d = r.getDataset()
      if (!d) return
      const all = d.getElements() as Record<string, unknown>
      const row: FindResult = {}
      for (const k of Object.keys(elements)) if (k !== 'QueryRetrieveLevel') row[k] = plain(all[k])
      results.push(row)
    } else {
      final = status
      comment = r.getErrorComment?.() ?? ''
    }
  })
  await runAssociation(node, callingAet, [request], opts)
  if (final === undefined) throw new DimseError(node, 'failed', 'no final C-FIND response')
  if (final !== Status.Success) throw new DimseError(node, 'failed', `C-FIND status 0x${final.toString(16).padStart(4, '0')}${comment ? ` (${comment})` : ''}`)
  return results
}
