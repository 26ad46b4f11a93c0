import { createWriteStream, type WriteStream } from 'node:fs'
import type { Socket } from 'node:net'
import dimse from 'dcmjs-dimse'
import { part10Header } from '../part10-meta'

// The only place that imports dcmjs-dimse (with src/dicom/dimse/*).
const { Scp, Server, Dataset } = dimse
const { CEchoResponse, CStoreResponse } = dimse.responses
const { Status, PresentationContextResult, RejectResult, RejectSource, RejectReason, SopClass, StorageClass } = dimse.constants
dimse.log.setLevel('silent')

export interface Association {
  id: number
  callingAet: string
  calledAet: string
  remote: string
}

/** What the receiver does with what arrives; the SCP only speaks DIMSE. */
export interface StoreHandler {
  /** undefined accepts; a string rejects the association with that reason logged. */
  checkAssociation(a: Association): string | undefined
  /** A new temp file in the spool for one incoming instance. */
  tempPath(): string
  /** The instance is on disk (Part 10); resolve with the DIMSE status to answer (0 = success). */
  stored(tempFile: string, a: Association): Promise<number>
  /** Writing the instance failed (disk full...): answered with Out of Resources. */
  failed(tempFile: string, a: Association, error: Error): void
  released(a: Association): void
  log(line: string): void
}

export interface ScpOptions {
  aet: string
  maxPdu: number
  associationTimeoutMs: number
}

const STORAGE = new Set<string>(Object.values(StorageClass as Record<string, string>))
const OUT_OF_RESOURCES = 0xa700
let associations = 0

/** Builds the Scp class bound to a handler (dcmjs-dimse instantiates it per connection). */
function scpClass(handler: StoreHandler, opts: ScpOptions) {
  return class NoraScp extends Scp {
    private peer?: Association
    private writing = new Map<WriteStream, { path: string; error?: Error }>()

    constructor(socket: Socket, o: unknown) {
      super(socket, o as never)
      socket.setNoDelay(true) // without it every C-STORE waits ~40 ms for a delayed ACK
    }

    override associationRequested(request: dimse.association.Association) {
      const a: Association = {
        id: ++associations,
        callingAet: request.getCallingAeTitle().trim(),
        calledAet: request.getCalledAeTitle().trim(),
        remote: `${(this as unknown as { socket: Socket }).socket.remoteAddress}`,
      }
      this.peer = a
      const refusal = a.calledAet !== opts.aet ? `called AE "${a.calledAet}" is not "${opts.aet}"` : handler.checkAssociation(a)
      if (refusal) {
        handler.log(`association from ${a.callingAet}@${a.remote} rejected: ${refusal}`)
        const reason = a.calledAet !== opts.aet ? RejectReason.CalledAeNotRecognized : RejectReason.CallingAeNotRecognized
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, reason)
        return
      }
      request.setMaxPduLength(opts.maxPdu)
      for (const { id } of request.getPresentationContexts()) {
        const context = request.getPresentationContext(id)
        const abstract = context.getAbstractSyntaxUid()
        const proposed = context.getTransferSyntaxUids()
        // Storage: accept the first syntax proposed, compressed ones included (no transcoding on receive).
        if ((abstract === SopClass.Verification || STORAGE.has(abstract)) && proposed.length) context.setResult(PresentationContextResult.Accept, proposed[0])
        else context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported)
      }
      this.sendAssociationAccept()
    }

    override associationReleaseRequested() {
      this.sendAssociationReleaseResponse()
      if (this.peer) handler.released(this.peer)
    }

    override cEchoRequest(request: dimse.requests.CEchoRequest, callback: (r: dimse.responses.CEchoResponse) => void) {
      const response = CEchoResponse.fromRequest(request)
      response.setStatus(Status.Success)
      callback(response)
    }

    /** Streams the dataset straight to a spool file behind a Part 10 header: memory stays flat for big instances. */
    override createStoreWritableStream(context: dimse.association.PresentationContext, request: dimse.requests.CStoreRequest) {
      const path = handler.tempPath()
      const stream = createWriteStream(path)
      const state: { path: string; error?: Error } = { path }
      stream.on('error', (e) => (state.error = e))
      this.writing.set(stream, state)
      stream.write(
        part10Header({
          sopClassUid: request.getAffectedSopClassUid() ?? '',
          sopInstanceUid: request.getAffectedSopInstanceUid() ?? '',
          transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '',
          sourceAet: this.peer?.callingAet,
        }),
      )
      return stream
    }

    override createDatasetFromStoreWritableStream(writable: WriteStream, context: dimse.association.PresentationContext, callback: (d: dimse.Dataset) => void) {
      const done = () => {
        const state = this.writing.get(writable)
        this.writing.delete(writable)
        // The dataset stays on disk; the request carries only where it is.
        const marker = new Dataset({}, context.getAcceptedTransferSyntaxUid()) as dimse.Dataset & { noraFile?: string; noraError?: Error }
        marker.noraFile = state?.path
        marker.noraError = state?.error
        callback(marker)
      }
      if (writable.closed) done()
      else writable.once('close', done)
    }

    override cStoreRequest(request: dimse.requests.CStoreRequest, callback: (r: dimse.responses.CStoreResponse) => void) {
      const dataset = request.getDataset() as (dimse.Dataset & { noraFile?: string; noraError?: Error }) | undefined
      const response = CStoreResponse.fromRequest(request)
      const answer = (status: number) => {
        response.setStatus(status)
        callback(response)
      }
      if (!dataset?.noraFile || !this.peer) return answer(OUT_OF_RESOURCES)
      if (dataset.noraError) {
        handler.failed(dataset.noraFile, this.peer, dataset.noraError)
        return answer(OUT_OF_RESOURCES)
      }
      handler.stored(dataset.noraFile, this.peer).then(answer, (e: Error) => {
        handler.failed(dataset.noraFile!, this.peer!, e)
        answer(OUT_OF_RESOURCES)
      })
    }
  }
}

/** A C-ECHO / C-STORE SCP on a port. */
export class StoreScp {
  private server?: InstanceType<typeof Server>
  state: 'stopped' | 'listening' | 'failed' = 'stopped'

  constructor(
    private readonly handler: StoreHandler,
    private readonly opts: ScpOptions,
  ) {}

  listen(port: number): Promise<void> {
    const server = new Server(scpClass(this.handler, this.opts) as never)
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('listening', () => {
        this.state = 'listening'
        resolve()
      })
      server.once('networkError', (e: Error) => {
        if (this.state !== 'listening') {
          this.state = 'failed'
          reject(e)
        } else this.handler.log(`network error: ${e.message}`)
      })
      server.listen(port, { associationTimeout: this.opts.associationTimeoutMs, pduTimeout: this.opts.associationTimeoutMs })
    })
  }

  close(): void {
    this.server?.close()
    this.state = 'stopped'
  }
}

