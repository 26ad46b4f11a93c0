import { createWriteStream, type WriteStream } from 'node:fs'
import dimse from 'dcmjs-dimse'
import { part10Header } from '../part10-meta'
import { DimseError, runAssociation, type DicomNode, type ScuOptions } from './scu'
import { type Association, OUT_OF_RESOURCES, type StoreHandler } from './store-handler'

// With the other files of src/dicom/dimse, the only place that imports dcmjs-dimse.
const { Dataset } = dimse
const { CMoveRequest, CGetRequest } = dimse.requests
const { CStoreResponse } = dimse.responses
const { Status } = dimse.constants

/** Sub-operation counts of a C-MOVE / C-GET, from the PACS's last response. */
export interface RetrieveOutcome {
  status: number
  completed: number
  failed: number
  warning: number
  /** Instances written to the spool by this association (C-GET only). */
  stored: number
  comment: string
}

/** Where the instances of a C-GET go: the receiver's spool (the same one the SCP writes). */
export type StoreSink = Pick<StoreHandler, 'tempPath' | 'stored' | 'failed'>

const hex = (s: number) => `0x${s.toString(16).padStart(4, '0')}`
let getAssociations = 1 << 20

type RetrieveResponse = dimse.responses.CMoveResponse | dimse.responses.CGetResponse

function collect(node: DicomNode, what: string, request: dimse.requests.CMoveRequest | dimse.requests.CGetRequest, onProgress?: (o: RetrieveOutcome) => void) {
  const outcome: RetrieveOutcome = { status: -1, completed: 0, failed: 0, warning: 0, stored: 0, comment: '' }
  request.on('response', (r: RetrieveResponse) => {
    const status = r.getStatus()
    outcome.completed = r.getCompleted() ?? outcome.completed
    outcome.failed = r.getFailures() ?? outcome.failed
    outcome.warning = r.getWarnings() ?? outcome.warning
    if (status === Status.Pending) onProgress?.(outcome)
    else {
      outcome.status = status
      outcome.comment = r.getErrorComment?.() ?? ''
    }
  })
  return {
    outcome,
    check(): RetrieveOutcome {
      if (outcome.status === -1) throw new DimseError(node, 'failed', `no final ${what} response`)
      // Success, or Warning (0xB000: some sub-operations failed) which the caller sees in the counts.
      if (outcome.status !== Status.Success && outcome.status !== 0xb000)
        throw new DimseError(node, 'failed', `${what} status ${hex(outcome.status)}${outcome.comment ? ` (${outcome.comment})` : ''}${outcome.status === 0xa801 ? ': the PACS does not know our AE as a move destination (add it to the PACS with our host and dicom.port)' : ''}`)
      return outcome
    },
  }
}

/** C-MOVE of one study to `destinationAet` (nora's own SCP); the instances arrive on separate associations. */
export async function moveStudy(node: DicomNode, callingAet: string, destinationAet: string, studyInstanceUid: string, opts: ScuOptions & { onProgress?: (o: RetrieveOutcome) => void } = {}): Promise<RetrieveOutcome> {
  const request = CMoveRequest.createStudyMoveRequest(destinationAet, studyInstanceUid)
  const c = collect(node, 'C-MOVE', request, opts.onProgress)
  await runAssociation(node, callingAet, [request], { timeoutMs: opts.timeoutMs ?? 3_600_000 })
  return c.check()
}

/**
 * C-GET of one study: the PACS sends the instances as C-STORE sub-operations on this same association; each one is
 * streamed into the spool through `sink` (fsync'd and renamed there) before it is answered with Success.
 */
export async function getStudy(node: DicomNode, callingAet: string, studyInstanceUid: string, sink: StoreSink, opts: ScuOptions & { onProgress?: (o: RetrieveOutcome) => void } = {}): Promise<RetrieveOutcome> {
  const request = CGetRequest.createStudyGetRequest(studyInstanceUid)
  request.setAddStorageSopClassesToAssociation(true)
  const c = collect(node, 'C-GET', request, opts.onProgress)
  const peer: Association = { id: ++getAssociations, callingAet: node.aet, calledAet: callingAet, remote: `${node.host}:${node.port}` }
  await runAssociation(node, callingAet, [request], { timeoutMs: opts.timeoutMs ?? 3_600_000 }, (client, network) => {
    const net = network as {
      createStoreWritableStream(context: dimse.association.PresentationContext, request: dimse.requests.CStoreRequest): WriteStream
      createDatasetFromStoreWritableStream(w: WriteStream, context: dimse.association.PresentationContext, cb: (d: dimse.Dataset) => void): void
    }
    const writing = new Map<WriteStream, { path: string; error?: Error }>()
    net.createStoreWritableStream = (context, store) => {
      const path = sink.tempPath()
      const stream = createWriteStream(path)
      const state: { path: string; error?: Error } = { path }
      stream.on('error', (e) => (state.error = e))
      writing.set(stream, state)
      stream.write(part10Header({ sopClassUid: store.getAffectedSopClassUid() ?? '', sopInstanceUid: store.getAffectedSopInstanceUid() ?? '', transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '', sourceAet: node.aet }))
      return stream
    }
    net.createDatasetFromStoreWritableStream = (w, context, cb) => {
      const done = () => {
        const state = writing.get(w)
        writing.delete(w)
        const marker = new Dataset({}, context.getAcceptedTransferSyntaxUid()) as dimse.Dataset & { noraFile?: string; noraError?: Error }
        marker.noraFile = state?.path
        marker.noraError = state?.error
        cb(marker)
      }
      if (w.closed) done()
      else w.once('close', done) // the library ends the stream after the last fragment
    }
    client.on('cStoreRequest', (store: dimse.requests.CStoreRequest, callback: (r: dimse.responses.CStoreResponse) => void) => {
      const d = store.getDataset() as (dimse.Dataset & { noraFile?: string; noraError?: Error }) | undefined
      const response = CStoreResponse.fromRequest(store)
      const answer = (status: number) => {
        if (status === 0) c.outcome.stored++
        response.setStatus(status)
        callback(response)
      }
      if (!d?.noraFile) return answer(OUT_OF_RESOURCES)
      if (d.noraError) {
        sink.failed(d.noraFile, peer, d.noraError)
        return answer(OUT_OF_RESOURCES)
      }
      sink.stored({ path: d.noraFile, head: new Uint8Array(0) }, peer).then(answer, (e: Error) => {
        sink.failed(d.noraFile!, peer, e)
        answer(OUT_OF_RESOURCES)
      })
    })
  })
  return c.check()
}
