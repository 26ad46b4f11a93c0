import { accessSync, constants } from 'node:fs'
import { ConfigError } from '../../core/errors'
import type { ConvertOptions, ConvertResult, Converter } from './converter'
import { FallbackConverter } from './fallback-converter'
import { NativeConverter } from './native-converter'
import { compileDcm2niix } from './wasm-binary'
import { WasmWorkerLane } from './wasm-worker-lane'

/** A converter that runs one conversion at a time; the pool holds maxParallel of them. */
export type Lane = Converter & {
  /** Nothing waits for this lane now (a Worker may give its memory back). */
  idle?(): void
  close?(): void
}

/**
 * Runs conversions off the request path, at most `lanes.length` at once, the rest waiting in order. For the
 * builtin converter each lane is a Worker (WASM runs synchronously, so on the main thread it would stall every
 * request); for a native dcm2niix each lane is one process at a time.
 */
export class ConverterPool implements Converter {
  private readonly free: Lane[]
  private readonly waiting: ((lane: Lane) => void)[] = []

  constructor(
    readonly kind: 'builtin' | 'native',
    private readonly lanes: Lane[],
  ) {
    if (lanes.length === 0) throw new Error('ConverterPool needs at least one lane')
    this.free = [...lanes]
  }

  /** Series converting now and waiting for a lane. */
  get load(): { running: number; queued: number } {
    return { running: this.lanes.length - this.free.length, queued: this.waiting.length }
  }

  version(): Promise<string> {
    return this.withLane((lane) => lane.version())
  }

  convertSeries(inputFiles: string[], outDir: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
    return this.withLane((lane) => lane.convertSeries(inputFiles, outDir, opts))
  }

  /** Ends the Workers now, for shutdown (a conversion still running fails; a later series starts new ones). */
  close(): void {
    for (const lane of this.lanes) lane.close?.()
  }

  private async withLane<T>(f: (lane: Lane) => Promise<T>): Promise<T> {
    const lane = this.free.pop() ?? (await new Promise<Lane>((resolve) => this.waiting.push(resolve)))
    try {
      return await f(lane)
    } finally {
      const next = this.waiting.shift()
      if (next) next(lane)
      else {
        this.free.push(lane)
        lane.idle?.()
      }
    }
  }
}

export interface ConverterSettings {
  /**
   * "auto": the dcm2niix on PATH, with the builtin for what it cannot decode, or the builtin alone where there is
   * none; "builtin": dcm2niix's WASM build, embedded in nora; or the absolute path of a native dcm2niix.
   */
  converter: 'auto' | 'builtin' | string
  /** Series converted at once; default 2. */
  maxParallel?: number
  /** A conversion running longer is stopped and fails with a ConvertError; default 10 minutes. */
  timeoutMs?: number
  /** builtin: the .wasm bytes to use instead of the embedded ones. */
  wasmBinary?: Uint8Array
}

/**
 * The converter main.conf's import section names ({ converter, maxParallel }; a bare string is the converter
 * setting alone), as a pool of maxParallel lanes.
 */
export function createConverter(input: ConverterSettings | string): ConverterPool {
  const settings = typeof input === 'string' ? { converter: input } : input
  const n = Math.max(1, settings.maxParallel ?? 2)
  const { timeoutMs } = settings
  let compiled: Promise<WebAssembly.Module> | undefined
  // Compiled when a lane first needs it: the native converter's fallback lanes mostly never do.
  const wasm = () => {
    if (!compiled) {
      compiled = compileDcm2niix(settings.wasmBinary)
      compiled.catch(() => {}) // reported by the conversion that awaits it
    }
    return compiled
  }
  const builtinLane = () => new WasmWorkerLane({ wasm, timeoutMs })
  const lanes = (make: () => Lane) => Array.from({ length: n }, make)

  const path = settings.converter === 'auto' ? NativeConverter.onPath() : settings.converter
  if (path === 'builtin' || path === undefined) return new ConverterPool('builtin', lanes(builtinLane))
  try {
    accessSync(path, constants.X_OK)
  } catch {
    throw new ConfigError(`conf/main.conf: import.converter: ${path} does not exist or is not executable ("builtin" uses the embedded dcm2niix)`)
  }
  const native = new NativeConverter(path, { timeoutMs })
  if (settings.converter !== 'auto') return new ConverterPool('native', lanes(() => native))
  return new ConverterPool('native', lanes(() => new FallbackConverter(native, builtinLane())))
}
