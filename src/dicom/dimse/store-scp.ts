import { createServer, type Server, type Socket } from 'node:net'
import { scpClass } from './nora-scp'
import { Connection } from './scp-connection'
import type { ScpOptions, StoreHandler } from './store-handler'

export type { Association, ReceivedInstance, ScpOptions, StoreHandler } from './store-handler'

/** A C-ECHO / C-STORE SCP on a port, with bounded PDUs, connections and time (see Connection). */
export class StoreScp {
  private server?: Server
  private readonly serving = new Set<Connection>()
  private readonly refusing = new Set<Connection>()
  private readonly Scp: ReturnType<typeof scpClass>
  private window = { start: 0, lines: 0, dropped: 0 }
  state: 'stopped' | 'listening' | 'failed' = 'stopped'

  constructor(
    private readonly handler: StoreHandler,
    private readonly opts: ScpOptions,
  ) {
    this.Scp = scpClass(handler, opts)
  }

  /** Logs what the guard did, at most 20 lines per 10 s (a flood of connections must not flood the log). */
  private note(line: string): void {
    const now = Date.now()
    if (now - this.window.start > 10_000) {
      if (this.window.dropped) this.handler.log(`${this.window.dropped} more such connection(s) refused or aborted in 10 s`)
      this.window = { start: now, lines: 0, dropped: 0 }
    }
    if (++this.window.lines <= 20) this.handler.log(line)
    else this.window.dropped++
  }

  private connected(socket: Socket): void {
    const max = this.opts.maxAssociations
    // Up to maxAssociations are served; as many again are told "local limit exceeded"; beyond that, closed at once.
    const mode = this.serving.size < max ? 'serve' : this.refusing.size < max ? 'refuse' : undefined
    if (!mode) {
      this.note(`connection from ${socket.remoteAddress} closed: ${max} associations are open and ${max} more are being refused (dicom.maxAssociations)`)
      socket.on('error', () => {})
      socket.destroy()
      return
    }
    const set = mode === 'serve' ? this.serving : this.refusing
    let c: Connection | undefined
    try {
      c = new Connection(socket, mode, { Scp: this.Scp, handler: this.handler, opts: this.opts, note: (l) => this.note(l), maxAssociations: max, gone: () => c && set.delete(c) })
    } catch (e) {
      this.handler.log(`connection from ${socket.remoteAddress} closed: ${(e as Error).message}`)
      socket.destroy()
      return
    }
    const connection = c
    set.add(connection)
    socket.once('close', () => connection.closed())
  }

  /** Open connections: served (associations and handshakes) and being refused. */
  get connections(): { serving: number; refusing: number } {
    return { serving: this.serving.size, refusing: this.refusing.size }
  }

  listen(port: number): Promise<void> {
    const server = createServer((socket) => this.connected(socket))
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('listening', () => {
        this.state = 'listening'
        resolve()
      })
      server.on('error', (e: Error) => {
        if (this.state !== 'listening') {
          this.state = 'failed'
          reject(e)
        } else this.handler.log(`network error: ${e.message}`)
      })
      server.listen(port, this.opts.host)
    })
  }

  close(): void {
    this.server?.close()
    for (const c of [...this.serving, ...this.refusing]) c.socket.destroy()
    this.state = 'stopped'
  }
}
