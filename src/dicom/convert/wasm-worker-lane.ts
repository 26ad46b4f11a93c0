import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ConvertError } from './convert-error'
import type { ConvertOptions, ConvertResult, Converter } from './converter'
import type { WorkerReply, WorkerRequest } from './wasm-worker'

/** Bun's Worker, which (unlike the DOM's) can stop keeping the process alive while idle. */
type BunWorker = Worker & { ref(): void; unref(): void }

export interface WasmWorkerLaneOptions {
  /**
   * dcm2niix's compiled .wasm: compiled once, shared by every Worker (and its optimised code with it). Asked for
   * when the lane first converts: a native dcm2niix's fallback lane may never need it (compiling costs CPU).
   */
  wasm: () => Promise<WebAssembly.Module>
  /** Stop the Worker (by terminate) when a series takes longer; default 10 minutes. */
  timeoutMs?: number
  /**
   * WASM memory never shrinks: a Worker whose memory grew beyond this is ended as soon as no series waits for it,
   * giving the memory back; default 256 MiB.
   */
  keepHeapBelowBytes?: number
  /** A Worker with less memory than that is ended after idling this long; default 30 s. */
  idleMs?: number
}

/**
 * One Worker running the WASM dcm2niix, one series at a time, off the main thread. The Worker is started on
 * demand and serves series after series with the same module: the next series finds its memory already grown
 * and its code optimised (a 500-slice CT then converts in 0.37 s instead of 0.52 s; bench/convert.ts). When the pool has nothing more for it
 * (idle()), a Worker holding a large memory is ended at once, a small one after idleMs. It is also ended after
 * a timeout (so a stuck conversion never hangs the caller) and when it fails.
 */
export class WasmWorkerLane implements Converter {
  readonly kind = 'builtin' as const
  private worker?: BunWorker
  private idleTimer?: Timer
  private busy = false
  private heapBytes = 0
  private readonly timeoutMs: number
  private readonly keepHeapBelowBytes: number
  private readonly idleMs: number

  constructor(private readonly opts: WasmWorkerLaneOptions) {
    this.timeoutMs = opts.timeoutMs ?? 600_000
    this.keepHeapBelowBytes = opts.keepHeapBelowBytes ?? 256 * 2 ** 20
    this.idleMs = opts.idleMs ?? 30_000
  }

  async version(): Promise<string> {
    const reply = await this.request({ kind: 'version', wasm: await this.opts.wasm() })
    return reply.ok ? (reply.version ?? 'unknown') : 'unknown'
  }

  async convertSeries(inputFiles: string[], outDir: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
    const reply = await this.request({ kind: 'convert', wasm: await this.opts.wasm(), inputFiles, outDir, opts })
    if (reply.ok) return reply.result!
    const { message, log, exitCode, convertError } = reply.error
    throw new ConvertError(convertError ? message : `builtin converter failed: ${message}`, log, exitCode)
  }

  /** The pool has no series waiting for this lane: give large memory back now, small after idleMs. */
  idle(): void {
    if (!this.worker) return
    if (this.heapBytes > this.keepHeapBelowBytes) return this.close()
    clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => this.close(), this.idleMs)
    this.idleTimer.unref()
  }

  /** Ends the Worker now (its memory is returned); the next series starts a new one. */
  close(): void {
    clearTimeout(this.idleTimer)
    this.worker?.terminate()
    this.worker = undefined
  }

  private async request(req: WorkerRequest): Promise<WorkerReply> {
    if (this.busy) throw new Error('WasmWorkerLane runs one series at a time (the pool queues the rest)')
    this.busy = true
    clearTimeout(this.idleTimer)
    const worker = this.start()
    worker.ref()
    let timer: Timer | undefined
    let onClose: (() => void) | undefined
    try {
      const reply = await new Promise<WorkerReply>((resolve, reject) => {
        const fail = (message: string) => {
          this.close()
          reject(new ConvertError(message, [], null))
        }
        timer = setTimeout(() => fail(`builtin dcm2niix did not finish within ${this.timeoutMs / 1000} s and was stopped`), this.timeoutMs)
        onClose = () => fail("builtin converter's Worker ended before it answered")
        worker.addEventListener('close', onClose)
        worker.onmessage = (e: MessageEvent<WorkerReply>) => resolve(e.data)
        worker.onerror = (e: ErrorEvent) =>
          fail(`builtin converter's Worker failed: ${e.message} (in a compiled nora, src/dicom/convert/wasm-worker.ts must be an entrypoint of bun build --compile)`)
        worker.postMessage(req)
      })
      this.heapBytes = reply.heapBytes
      return reply
    } finally {
      clearTimeout(timer)
      if (onClose) worker.removeEventListener('close', onClose)
      this.busy = false
      this.worker?.unref()
    }
  }

  private start(): BunWorker {
    this.worker ??= new Worker(workerEntry()) as BunWorker
    return this.worker
  }
}

const COMPILED_ROOT = '/$bunfs/root'

/**
 * The Worker's entry: next to this file when nora runs from source. In a compiled nora this file is bundled
 * into the main entry, and the Worker entry (which must be an entrypoint of `bun build --compile`) sits at a path
 * that depends on the build's entrypoints: it is looked up by name in the executable's embedded files.
 */
export function workerEntry(): string {
  if (!import.meta.url.startsWith(`file://${COMPILED_ROOT}/`)) return new URL('./wasm-worker.ts', import.meta.url).href
  const find = (dir: string): string | undefined => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) {
        const found = find(p)
        if (found) return found
      } else if (e.name === 'wasm-worker.js') return p
    }
    return undefined
  }
  const found = find(COMPILED_ROOT)
  if (!found) throw new ConvertError('this nora was compiled without the builtin converter: src/dicom/convert/wasm-worker.ts must be an entrypoint of bun build --compile (see scripts/build.ts)')
  return found
}
