/**
 * A length-checking guard in front of dcmjs-dimse's socket reader (PS3.8 upper layer). dcmjs-dimse concatenates
 * every chunk of a PDU until the length its header declares has arrived, so a peer that declares 4 GB and streams
 * bytes grows the process without bound. The guard reads each PDU header first and refuses a PDU longer than nora
 * takes in that state before a byte of its body is kept; it hands whole PDUs on (one copy each), and it counts the
 * DIMSE bytes dcmjs-dimse keeps in memory (command sets, and datasets that are not C-STORE instances, which go to
 * disk), so memory per association stays bounded.
 */
import { isStoreWithDataset, readCommand } from './command-set'

/** PDU types (PS3.8 9.3.1). */
export const PduType = { AssociateRq: 1, AssociateAc: 2, AssociateRj: 3, PData: 4, ReleaseRq: 5, ReleaseRp: 6, Abort: 7 } as const

/** A-ABORT reasons of the service provider (PS3.8 9.3.8). */
export const AbortReason = { NotSpecified: 0, UnrecognizedPdu: 1, UnexpectedPdu: 2, InvalidPduParameter: 6 } as const

/** The largest A-ASSOCIATE-RQ (or any other PDU before the association is accepted) nora takes. */
export const HANDSHAKE_PDU_MAX = 64 * 1024
/** The largest DIMSE command set, and the largest dataset kept in memory (anything but a C-STORE instance). */
export const IN_MEMORY_MESSAGE_MAX = 64 * 1024
/** A-RELEASE and A-ABORT PDUs are 4 bytes long; a little slack for odd peers. */
const CONTROL_PDU_MAX = 1024

const HEADER = 6

export interface Violation {
  /** The A-ABORT reason to answer with. */
  reason: number
  /** What was wrong, for the log. */
  message: string
}

/** The A-ABORT PDU (service provider) with a reason. */
export const abortPdu = (reason: number) => Buffer.from([PduType.Abort, 0, 0, 0, 0, 4, 0, 0, 2, reason])

/** A-ASSOCIATE-RJ: transient, service provider (presentation), local limit exceeded (PS3.8 9.3.4). */
export const localLimitRejectPdu = () => Buffer.from([PduType.AssociateRj, 0, 0, 0, 0, 4, 0, 2, 3, 2])

/** The calling AE title of a whole A-ASSOCIATE-RQ PDU (for the log), or '' when it is too short. */
export const callingAetOf = (rq: Buffer) => (rq.length >= 42 ? rq.subarray(26, 42).toString('latin1').replace(/[^\x20-\x7e]/g, '?').trim() : '')

export class PduGuard {
  /** Bytes of a PDU header not complete yet (fewer than 6). */
  private head = Buffer.alloc(0)
  /** The body of the PDU being received: its header, the parts so far, and how many bytes the whole PDU has. */
  private parts: Buffer[] = []
  private have = 0
  private need = 0
  private requested = false
  /** The P-DATA-TF length nora advertised in its A-ASSOCIATE-AC; 0 until then. */
  private maxPData = 0
  private command: Buffer[] = []
  private commandBytes = 0
  private datasetBytes = 0
  /** The dataset being received belongs to a C-STORE request: dcmjs-dimse streams it to the spool, not to memory. */
  private datasetStreamed = false
  private failed?: Violation
  /** Where P-DATA-TF PDUs that came in several chunks are put together (see assemble). */
  private scratch = Buffer.alloc(0)

  /** The association was accepted with this maximum P-DATA-TF length (what the A-ASSOCIATE-AC told the peer). */
  associated(maxPData: number): void {
    this.maxPData = maxPData
  }

  get isAssociated(): boolean {
    return this.maxPData > 0
  }

  /** Bytes held for the PDU being received (at most its allowed length). */
  get buffered(): number {
    return this.head.length + this.have
  }

  /**
   * Splits `chunk` into whole PDUs and hands each to `deliver` (which may accept the association, raising the limit
   * for the PDUs after it). Returns why the peer must be aborted, and from then on drops whatever arrives.
   */
  push(chunk: Buffer, deliver: (pdu: Buffer) => void): Violation | undefined {
    if (this.failed) return this.failed
    let at = 0
    while (at < chunk.length) {
      if (this.need === 0) {
        const take = Math.min(HEADER - this.head.length, chunk.length - at)
        this.head = Buffer.concat([this.head, chunk.subarray(at, at + take)])
        at += take
        if (this.head.length < HEADER) break
        const type = this.head[0]!
        const length = this.head.readUInt32BE(2)
        const problem = this.check(type, length)
        if (problem) {
          this.head = Buffer.alloc(0)
          return (this.failed = problem)
        }
        this.parts = [this.head]
        this.have = HEADER
        this.need = HEADER + length
        this.head = Buffer.alloc(0)
      }
      const take = Math.min(this.need - this.have, chunk.length - at)
      if (take > 0) {
        this.parts.push(chunk.subarray(at, at + take))
        this.have += take
        at += take
      }
      if (this.have < this.need) break
      const pdu = this.parts.length === 1 ? this.parts[0]! : this.assemble()
      this.parts = []
      this.have = this.need = 0
      if (pdu[0] === PduType.PData) {
        const problem = this.countPdvs(pdu)
        if (problem) return (this.failed = problem)
      }
      if (pdu[0] === PduType.AssociateRq) this.requested = true
      deliver(pdu)
      if (this.failed) return this.failed
    }
    return undefined
  }

  /**
   * The parts of the PDU as one buffer. A P-DATA-TF PDU of an accepted association goes into one scratch buffer that
   * is reused: the connection handles it before the next chunk is read (the spool write is synchronous; what is kept,
   * a command or the start of a dataset, is copied), and a fresh 128 KB buffer per PDU cost more in page faults than
   * the copy itself. Every other PDU (dcmjs-dimse may keep it) is a buffer of its own.
   */
  private assemble(): Buffer {
    if (this.parts[0]![0] !== PduType.PData || this.maxPData === 0) return Buffer.concat(this.parts, this.need)
    if (this.scratch.length < this.need) this.scratch = Buffer.allocUnsafe(this.need)
    let at = 0
    for (const part of this.parts) at += part.copy(this.scratch, at)
    return this.scratch.subarray(0, this.need)
  }

  /** Refuses a PDU by its header: unknown type, unexpected in this state, or longer than nora takes now. */
  private check(type: number, length: number): Violation | undefined {
    if (type < PduType.AssociateRq || type > PduType.Abort) return { reason: AbortReason.UnrecognizedPdu, message: `unknown PDU type 0x${type.toString(16)}` }
    if (this.maxPData === 0) {
      if (type === PduType.Abort || type === PduType.ReleaseRq || type === PduType.ReleaseRp) return length <= CONTROL_PDU_MAX ? undefined : tooLong(type, length, CONTROL_PDU_MAX)
      if (type !== PduType.AssociateRq || this.requested) return { reason: AbortReason.UnexpectedPdu, message: `PDU type ${type} before the association was accepted` }
      return length <= HANDSHAKE_PDU_MAX ? undefined : tooLong(type, length, HANDSHAKE_PDU_MAX, 'before association')
    }
    if (type === PduType.PData) return length <= this.maxPData ? undefined : tooLong(type, length, this.maxPData, 'the negotiated maximum')
    if (type === PduType.AssociateRq || type === PduType.AssociateAc || type === PduType.AssociateRj) return { reason: AbortReason.UnexpectedPdu, message: `PDU type ${type} inside an association` }
    return length <= CONTROL_PDU_MAX ? undefined : tooLong(type, length, CONTROL_PDU_MAX)
  }

  /** Walks the PDVs of a whole P-DATA-TF PDU, counting the DIMSE bytes dcmjs-dimse will keep in memory. */
  private countPdvs(pdu: Buffer): Violation | undefined {
    for (let at = HEADER; at < pdu.length; ) {
      if (at + 6 > pdu.length) return { reason: AbortReason.InvalidPduParameter, message: 'a PDV item is cut off' }
      const length = pdu.readUInt32BE(at)
      if (length < 2 || at + 4 + length > pdu.length) return { reason: AbortReason.InvalidPduParameter, message: `a PDV item declares ${length} bytes, more than its PDU holds` }
      const control = pdu[at + 5]!
      const value = pdu.subarray(at + 6, at + 4 + length)
      const last = (control & 2) !== 0
      if (control & 1) {
        this.commandBytes += 6 + value.length // with its item header: empty fragments count too
        if (this.commandBytes > IN_MEMORY_MESSAGE_MAX) return { reason: AbortReason.InvalidPduParameter, message: `a DIMSE command set of more than ${IN_MEMORY_MESSAGE_MAX} bytes` }
        this.command.push(Buffer.from(value))
        if (last) {
          this.datasetStreamed = isStoreWithDataset(readCommand(Buffer.concat(this.command)))
          this.command = []
          this.commandBytes = 0
        }
      } else {
        if (!this.datasetStreamed) {
          this.datasetBytes += 6 + value.length
          if (this.datasetBytes > IN_MEMORY_MESSAGE_MAX) return { reason: AbortReason.InvalidPduParameter, message: `a dataset of more than ${IN_MEMORY_MESSAGE_MAX} bytes outside a C-STORE request` }
        }
        if (last) {
          this.datasetBytes = 0
          this.datasetStreamed = false
        }
      }
      at += 4 + length
    }
    return undefined
  }
}

function tooLong(type: number, length: number, max: number, what = 'for this PDU type'): Violation {
  return { reason: AbortReason.InvalidPduParameter, message: `PDU type ${type} declares ${length} bytes, more than the ${max} nora takes ${what}` }
}
