import { closeSync, open, openSync, rmSync, writeSync } from 'node:fs'
import { part10Header } from '../part10-meta'
import { type CommandFields, commandPdu, cStoreResponse, isStoreWithDataset, readCommand } from './command-set'
import { AbortReason, type Violation } from './pdu-guard'
import { type Association, OUT_OF_RESOURCES, type StoreHandler } from './store-handler'

/** How much of an instance's start is kept in memory for its header (the file is not read back for it). */
const HEAD_MAX = 64 * 1024
const PDU_HEADER = 6
/** Created or truncated, read and write: the handler may read the header back from the same descriptor. */
const SPOOL_FILE_FLAGS = 'w+'

/** What the intake needs from its connection. */
export interface IntakeLink {
  /** Hands PDV items (each whole: length, context, control, value) to dcmjs-dimse as one P-DATA-TF PDU. */
  forward(items: Buffer[]): void
  /** Sends a PDU to the peer (dropped once the connection is closing). */
  send(pdu: Buffer): void
  /** nora is working on an instance of this connection (the peer waits for the answer, it is not idle). */
  busy(delta: number): void
}

/**
 * The next instance's spool file, created in the background while the previous one is made durable and answered
 * (creating a file waits for the file system's journal, which the fsyncs keep busy).
 */
interface Spare {
  path: string
  fd?: number
  error?: Error
}

/** The instance being received: where it goes and what was kept of its start. */
interface Incoming {
  request: CommandFields
  pcid: number
  path: string
  fd?: number
  /** How many bytes of its start are in the intake's head buffer. */
  headBytes: number
  error?: Error
}

/**
 * C-STORE requests of one association, handled by nora itself: the dataset's fragments are written to a spool file
 * as they arrive (straight from the P-DATA-TF PDUs, no copy but its first 64 KB), the handler makes the file durable
 * and chooses the status, and the C-STORE-RSP is sent from here. Every other DIMSE message (C-ECHO...) is handed to
 * dcmjs-dimse. The PDUs come whole and checked by the PduGuard (PDV lengths, command and in-memory dataset sizes).
 */
export class CStoreIntake {
  /** PDV items of the command set being received (held until it is whole: nora or dcmjs-dimse handles it). */
  private command: Buffer[] = []
  private incoming?: Incoming
  private spare?: Spare
  private peer?: Association
  private contexts = new Map<number, string>()
  /**
   * The start of the instance being received, for its header. One buffer for the association, reused: the handler
   * reads the header from it before it first waits (store-handler.ts), and the peer sends the next instance only
   * after the answer (nora negotiates no asynchronous operations). A fresh 64 KB per instance cost more in page faults
   * than receiving it.
   */
  private readonly head = Buffer.allocUnsafe(HEAD_MAX)

  constructor(
    private readonly handler: StoreHandler,
    private readonly link: IntakeLink,
  ) {}

  /** The association was accepted: who the peer is, and its presentation contexts (id -> transfer syntax). */
  associated(peer: Association, contexts: Map<number, string>): void {
    this.peer = peer
    this.contexts = contexts
    this.prepare()
  }

  /** One whole P-DATA-TF PDU whose PDV items the guard has checked. Returns why the peer must be aborted, if so. */
  pdata(pdu: Buffer): Violation | undefined {
    const forward: Buffer[] = []
    for (let at = PDU_HEADER; at < pdu.length; ) {
      const item = pdu.subarray(at, at + 4 + pdu.readUInt32BE(at))
      at += item.length
      const pcid = item[4]!
      const control = item[5]!
      const last = (control & 2) !== 0
      if (control & 1) {
        if (this.incoming) return invalid(`a command PDV before the end of the C-STORE dataset it interrupts`)
        this.command.push(Buffer.from(item)) // a copy: a small item must not hold its whole PDU (the guard bounds their sum)
        if (!last) continue
        const items = this.command
        this.command = []
        const request = readCommand(Buffer.concat(items.map((i) => i.subarray(6))))
        if (!isStoreWithDataset(request)) forward.push(...items)
        else {
          const problem = this.begin(request, pcid)
          if (problem) return problem
        }
      } else if (this.incoming) {
        if (pcid !== this.incoming.pcid) return invalid(`a C-STORE dataset PDV on presentation context ${pcid}, its command came on ${this.incoming.pcid}`)
        this.write(item.subarray(6))
        if (last) this.finish()
      } else forward.push(item)
    }
    if (forward.length) this.link.forward(forward)
    return undefined
  }

  /**
   * The connection is ending: nothing more is read. An instance not received whole is removed (those received whole
   * are the handler's), and so is the spare file.
   */
  ended(): void {
    const spare = this.spare
    this.spare = undefined
    if (spare?.fd !== undefined) {
      closeQuietly(spare.fd)
      rmSync(spare.path, { force: true })
    } // one still being created is removed once it is (prepare)
    const i = this.incoming
    if (!i) return
    this.incoming = undefined
    if (i.fd !== undefined) closeQuietly(i.fd)
    rmSync(i.path, { force: true })
    this.handler.log(`association from ${this.peer?.callingAet ?? '?'}@${this.peer?.remote ?? '?'} ended during an instance; its partial file is removed`)
  }

  private begin(request: CommandFields, pcid: number): Violation | undefined {
    const transferSyntaxUid = this.contexts.get(pcid)
    if (transferSyntaxUid === undefined || !this.peer) return invalid(`a C-STORE request on presentation context ${pcid}, which was not accepted`)
    const spare = this.spare
    if (spare && (spare.fd !== undefined || spare.error)) {
      this.spare = undefined
      this.incoming = { request, pcid, path: spare.path, fd: spare.fd, error: spare.error, headBytes: 0 }
    } else {
      const path = this.handler.tempPath()
      this.incoming = { request, pcid, path, headBytes: 0 }
      try {
        this.incoming.fd = openSync(path, SPOOL_FILE_FLAGS)
      } catch (e) {
        this.incoming.error = e as Error
      }
    }
    const sopClassUid = request.affectedSopClassUid ?? ''
    this.write(part10Header({ sopClassUid, sopInstanceUid: request.affectedSopInstanceUid ?? '', transferSyntaxUid, sourceAet: this.peer.callingAet }))
    return undefined
  }

  /** Creates the next instance's spool file in the background, unless one is ready or on its way. */
  private prepare(): void {
    if (this.spare) return
    const spare: Spare = { path: this.handler.tempPath() }
    this.spare = spare
    open(spare.path, SPOOL_FILE_FLAGS, (e, fd) => {
      if (this.spare === spare) {
        if (e) spare.error = e
        else spare.fd = fd
        return
      }
      // The connection ended meanwhile.
      if (!e) closeQuietly(fd)
      rmSync(spare.path, { force: true })
    })
  }

  /** Appends to the spool file (synchronously: memory stays flat, the disk sets the pace); keeps the first bytes. */
  private write(bytes: Buffer): void {
    const i = this.incoming!
    if (i.headBytes < HEAD_MAX) i.headBytes += bytes.copy(this.head, i.headBytes, 0, HEAD_MAX - i.headBytes)
    if (i.error || i.fd === undefined) return
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(i.fd, bytes, done, bytes.length - done)
    } catch (e) {
      i.error = e as Error
    }
  }

  /** The last fragment arrived: the handler makes it durable and answers; the C-STORE-RSP goes out from here. */
  private finish(): void {
    const i = this.incoming!
    this.incoming = undefined
    this.prepare() // while this one is made durable and answered
    const peer = this.peer!
    const refuse = (e: Error) => {
      this.handler.failed(i.path, peer, e)
      return OUT_OF_RESOURCES
    }
    if (i.error && i.fd !== undefined) closeQuietly(i.fd)
    // The handler gets the file still open (it fsyncs and closes it).
    const status = i.error ? Promise.resolve(refuse(i.error)) : this.handler.stored({ path: i.path, fd: i.fd, head: this.head.subarray(0, i.headBytes) }, peer).catch(refuse)
    this.link.busy(1)
    status.then((s) => this.link.send(commandPdu(i.pcid, cStoreResponse(i.request, s)))).finally(() => this.link.busy(-1))
  }
}

const invalid = (message: string): Violation => ({ reason: AbortReason.InvalidPduParameter, message })

function closeQuietly(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // already closed
  }
}
