import type { Socket } from 'node:net'
import { CStoreIntake } from './c-store-intake'
import type { NoraScp, scpClass, ScpLink } from './nora-scp'
import { AbortReason, abortPdu, callingAetOf, localLimitRejectPdu, PduGuard, PduType } from './pdu-guard'
import type { Association, ScpOptions, StoreHandler } from './store-handler'

const HANDSHAKE_TIMEOUT_MS = 10_000
/** Answers queued for a peer that does not read them: above this, nora stops reading from it until they drain. */
const MAX_UNSENT_BYTES = 1 << 20
/** After an A-ABORT or A-ASSOCIATE-RJ, the socket is destroyed once it is flushed, or after this long. */
const LINGER_MS = 1000

/** What a connection is given by the listener. */
export interface ConnectionContext {
  Scp: ReturnType<typeof scpClass>
  handler: StoreHandler
  opts: ScpOptions
  note(line: string): void
  maxAssociations: number
  /** The connection no longer holds its place (called once it is closing, and again when its socket closed). */
  gone(): void
}

/**
 * One TCP connection to the DICOM port. "serve": a NoraScp (dcmjs-dimse) negotiates and answers C-ECHO, a
 * CStoreIntake streams C-STORE datasets to the spool and answers them, both behind a PduGuard, which sees every byte
 * first; "refuse" (maxAssociations reached): the A-ASSOCIATE-RQ is read (bounded like any) and answered
 * A-ASSOCIATE-RJ (transient, local limit exceeded). Until its A-ASSOCIATE-RQ has arrived a connection lives
 * handshakeTimeoutMs at most; after, one that sends no whole PDU for associationTimeoutMs while nora is not working
 * on its instance is aborted.
 */
export class Connection implements ScpLink {
  private readonly guard = new PduGuard()
  private readonly intake: CStoreIntake
  private readonly holds = new Set<string>()
  private timer: ReturnType<typeof setTimeout>
  private working = 0
  private closing = false
  private scp?: NoraScp
  private reader?: (chunk: Buffer) => void
  readonly remote: string

  constructor(
    readonly socket: Socket,
    readonly mode: 'serve' | 'refuse',
    private readonly ctx: ConnectionContext,
  ) {
    this.remote = `${socket.remoteAddress}`
    socket.on('error', () => {}) // 'close' follows; dcmjs-dimse logs its own
    this.intake = new CStoreIntake(ctx.handler, {
      forward: (items) => this.reader!(pdataPdu(items)),
      send: (pdu) => {
        if (!this.closing && !socket.destroyed) socket.write(pdu)
      },
      busy: (delta) => this.busy(delta),
    })
    if (mode === 'serve') this.attachScp()
    socket.on('data', (chunk: Buffer) => this.received(chunk))
    const handshake = ctx.opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS
    this.timer = setTimeout(() => this.abort(AbortReason.NotSpecified, `no A-ASSOCIATE-RQ within ${handshake / 1000} s`), handshake)
  }

  /** Builds the NoraScp with the guard in front: the data listener dcmjs-dimse registers is taken, not attached. */
  private attachScp(): void {
    const socket = this.socket as Socket & { on: Socket['on'] }
    const own = Object.prototype.hasOwnProperty.call(socket, 'on')
    const on = socket.on
    let reader: ((chunk: Buffer) => void) | undefined
    socket.on = function (this: Socket, event: string, listener: (...args: any[]) => void) {
      if (event !== 'data') return on.call(this, event, listener)
      reader = listener
      return this
    } as Socket['on']
    try {
      this.scp = new this.ctx.Scp(socket, this)
    } finally {
      if (own) socket.on = on
      else delete (socket as { on?: unknown }).on
    }
    if (!reader) throw new Error('dcmjs-dimse registered no socket reader; nora cannot guard its DICOM port')
    this.reader = reader
    this.scp.on('networkError', () => this.close())
  }

  private received(chunk: Buffer): void {
    if (this.closing) return
    const problem = this.guard.push(chunk, (pdu) => this.deliver(pdu))
    if (problem) return this.abort(problem.reason, problem.message)
    if (this.socket.writableLength > MAX_UNSENT_BYTES) {
      // The peer does not read its answers: stop reading its requests until they drain.
      this.hold('unsent', true)
      this.socket.once('drain', () => this.hold('unsent', false))
    }
  }

  private deliver(pdu: Buffer): void {
    if (this.closing) return
    if (this.mode === 'refuse') {
      if (pdu[0] === PduType.AssociateRq) {
        this.ctx.note(`association from ${callingAetOf(pdu) || '?'}@${this.remote} refused: ${this.ctx.maxAssociations} associations are open (dicom.maxAssociations)`)
        this.close(localLimitRejectPdu())
      } else this.close()
      return
    }
    if (!this.guard.isAssociated) return this.reader!(pdu)
    this.timer.refresh()
    if (pdu[0] !== PduType.PData) return this.reader!(pdu)
    const problem = this.intake.pdata(pdu)
    if (problem) this.abort(problem.reason, problem.message)
  }

  accepted(maxPData: number, peer: Association, contexts: Map<number, string>): void {
    this.guard.associated(maxPData)
    this.intake.associated(peer, contexts)
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.idle(), this.ctx.opts.associationTimeoutMs)
  }

  private idle(): void {
    if (this.closing) return
    if (this.working > 0) return void this.timer.refresh() // the peer waits for nora's answer
    this.abort(AbortReason.NotSpecified, `no PDU for ${this.ctx.opts.associationTimeoutMs / 1000} s`)
  }

  private busy(delta: number): void {
    this.working += delta
    if (delta < 0 && this.working === 0 && !this.closing && this.guard.isAssociated) this.timer.refresh()
  }

  private hold(reason: string, on: boolean): void {
    if (on) this.holds.add(reason)
    else this.holds.delete(reason)
    if (this.closing) return
    if (this.holds.size) this.socket.pause()
    else this.socket.resume()
  }

  /** A-ABORT for a peer that broke the protocol or a limit; nothing more it sends is read. */
  private abort(reason: number, why: string): void {
    if (this.closing) return
    this.ctx.note(`connection from ${this.remote} aborted: ${why}`)
    this.socket.pause()
    this.close(abortPdu(reason))
  }

  /** Sends `last` (if any), ends the connection, and destroys it once flushed or after LINGER_MS. */
  close(last?: Buffer): void {
    if (this.closing) return
    this.closing = true
    clearTimeout(this.timer)
    this.ctx.gone() // a connection nora is ending no longer holds a place, whenever its socket's 'close' comes
    this.intake.ended() // nothing more is read: a partial instance and the spare file go now
    const socket = this.socket
    if (socket.destroyed) return
    // Bun does not always emit 'close' for a socket destroyed before its peer closed: what 'close' does is done here too.
    const linger = setTimeout(() => {
      socket.destroy()
      this.closed()
    }, LINGER_MS)
    socket.once('close', () => clearTimeout(linger))
    if (last) socket.write(last)
    socket.end()
  }

  /** The socket closed: timers stop, a partial instance goes (if close() did not see to it). */
  closed(): void {
    this.closing = true
    clearTimeout(this.timer)
    this.ctx.gone()
    this.intake.ended()
  }
}

/** A P-DATA-TF PDU of whole PDV items. */
function pdataPdu(items: Buffer[]): Buffer {
  const head = Buffer.alloc(6)
  head[0] = PduType.PData
  head.writeUInt32BE(items.reduce((n, i) => n + i.length, 0), 2)
  return Buffer.concat([head, ...items])
}
