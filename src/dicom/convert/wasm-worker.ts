// Worker entry: one WasmConverter per Worker, fed one series at a time by wasm-worker-lane.ts. Under
// `bun build --compile` this file must be an entrypoint of the build (Bun bundles Workers only that way).
import type { ConvertOptions, ConvertResult } from './converter'
import { ConvertError } from './convert-error'
import { WasmConverter } from './wasm-converter'

export type WorkerRequest =
  | { kind: 'convert'; wasm: WebAssembly.Module; inputFiles: string[]; outDir: string; opts: ConvertOptions }
  | { kind: 'version'; wasm: WebAssembly.Module }

export type WorkerReply =
  | { ok: true; result?: ConvertResult; version?: string; heapBytes: number }
  | { ok: false; error: { message: string; log: string[]; exitCode: number | null; convertError: boolean }; heapBytes: number }

declare const self: Worker
let converter: WasmConverter | undefined

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const req = event.data
  // The lane decides when to drop this Worker (and its memory): the module is kept however large it grew.
  converter ??= new WasmConverter({ wasm: req.wasm, keepHeapBelowBytes: Number.POSITIVE_INFINITY })
  let reply: WorkerReply
  try {
    reply =
      req.kind === 'version'
        ? { ok: true, version: await converter.version(), heapBytes: await converter.heapBytes() }
        : { ok: true, result: await converter.convertSeries(req.inputFiles, req.outDir, req.opts), heapBytes: await converter.heapBytes() }
  } catch (e) {
    const err = e as Error
    const convertError = err instanceof ConvertError
    reply = {
      ok: false,
      error: { message: err.message, log: convertError ? err.log : [], exitCode: convertError ? err.dcm2niixExitCode : null, convertError },
      heapBytes: await converter.heapBytes(),
    }
  }
  postMessage(reply)
}
