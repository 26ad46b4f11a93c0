import type { Socket } from 'node:net'
import dimse from 'dcmjs-dimse'
import { type Association, OUT_OF_RESOURCES, type ScpOptions, type StoreHandler } from './store-handler'

// dcmjs-dimse is imported only by src/dicom/dimse/*.
const { Scp } = dimse
const { CEchoResponse, CStoreResponse } = dimse.responses
const { Status, PresentationContextResult, RejectResult, RejectSource, RejectReason, SopClass, StorageClass } = dimse.constants
dimse.log.setLevel('silent')

const STORAGE = new Set<string>(Object.values(StorageClass as Record<string, string>))
/** dcmjs-dimse's own timers (whole-connection inactivity, PDU and association timeouts) are left to the Connection. */
const DIMSE_TIMERS_OFF = 24 * 3600 * 1000
let associations = 0

/** What a NoraScp needs from the connection it serves. */
export interface ScpLink {
  socket: Socket
  /**
   * The association was accepted, with this maximum P-DATA-TF length, for `peer`, with these presentation contexts
   * (id -> accepted transfer syntax).
   */
  accepted(maxPData: number, peer: Association, contexts: Map<number, string>): void
  /** Ends the connection once what was sent is flushed (after a reject, a release, an A-ABORT from the peer). */
  close(): void
}

/**
 * Builds the dcmjs-dimse Scp class bound to a handler; one instance serves one connection. It negotiates the
 * association, answers C-ECHO and the release; C-STORE requests with a dataset never reach it (the connection's
 * CStoreIntake streams and answers them).
 */
export function scpClass(handler: StoreHandler, opts: ScpOptions) {
  return class NoraScp extends Scp {
    private peer?: Association

    constructor(
      socket: Socket,
      private readonly link: ScpLink,
    ) {
      super(socket, { connectTimeout: DIMSE_TIMERS_OFF, associationTimeout: DIMSE_TIMERS_OFF, pduTimeout: DIMSE_TIMERS_OFF })
      socket.setNoDelay(true) // without it every C-STORE waits ~40 ms for a delayed ACK
    }

    override associationRequested(request: dimse.association.Association) {
      const a: Association = {
        id: ++associations,
        callingAet: request.getCallingAeTitle().trim(),
        calledAet: request.getCalledAeTitle().trim(),
        remote: `${this.link.socket.remoteAddress}`,
      }
      this.peer = a
      const refusal = a.calledAet !== opts.aet ? `called AE "${a.calledAet}" is not "${opts.aet}"` : handler.checkAssociation(a)
      if (refusal) {
        handler.log(`association from ${a.callingAet}@${a.remote} rejected: ${refusal}`)
        const reason = a.calledAet !== opts.aet ? RejectReason.CalledAeNotRecognized : RejectReason.CallingAeNotRecognized
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, reason)
        this.link.close()
        return
      }
      request.setMaxPduLength(opts.maxPdu)
      const contexts = new Map<number, string>()
      for (const { id } of request.getPresentationContexts()) {
        const context = request.getPresentationContext(id)
        const abstract = context.getAbstractSyntaxUid()
        const proposed = context.getTransferSyntaxUids()
        // Storage: accept the first syntax proposed, compressed ones included (no transcoding on receive).
        if ((abstract === SopClass.Verification || STORAGE.has(abstract)) && proposed.length) {
          context.setResult(PresentationContextResult.Accept, proposed[0])
          contexts.set(id, proposed[0]!)
        } else context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported)
      }
      this.sendAssociationAccept()
      // What the A-ASSOCIATE-AC advertised (dcmjs-dimse caps it at its own maximum): longer P-DATA-TF PDUs are aborted.
      this.link.accepted(request.getMaxPduLength(), a, contexts)
    }

    override associationReleaseRequested() {
      this.sendAssociationReleaseResponse()
      if (this.peer) handler.released(this.peer)
      this.link.close()
    }

    /** The peer sent A-ABORT. */
    override abort() {
      this.link.close()
    }

    override cEchoRequest(request: dimse.requests.CEchoRequest, callback: (r: dimse.responses.CEchoResponse) => void) {
      const response = CEchoResponse.fromRequest(request)
      response.setStatus(Status.Success)
      callback(response)
    }

    /** Only a C-STORE request nora does not stream gets here (no dataset, or no CommandDataSetType): nothing is kept. */
    override cStoreRequest(request: dimse.requests.CStoreRequest, callback: (r: dimse.responses.CStoreResponse) => void) {
      const response = CStoreResponse.fromRequest(request)
      response.setStatus(OUT_OF_RESOURCES)
      callback(response)
    }
  }
}

export type NoraScp = InstanceType<ReturnType<typeof scpClass>>
