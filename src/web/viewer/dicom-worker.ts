/// <reference lib="webworker" />
// The DICOM -> NIfTI worker: dcm2niix compiled to WASM (@niivue/dcm2niix's Emscripten module, the build with
// JPEG-LS and JPEG 2000), bundled by scripts/build-web.ts into public/js/dicom-worker.js. The WASM binary is served
// by nora at /static/js/dcm2niix.wasm (src/http/static-assets.ts). One worker per conversion: the page terminates
// it afterwards, so no state (files in the in-memory FS, dcm2niix's globals) outlives a conversion.
import Module from '../../../node_modules/@niivue/dcm2niix/dist/dcm2niix.jpeg.js'

export interface ConvertRequest {
  files: { name: string; data: Uint8Array | Blob }[]
}
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; phase: 'write' | 'convert'; done: number; total: number }
  | { type: 'done'; exitCode: number; log: string; files: { name: string; data: Uint8Array }[] }
  | { type: 'error'; message: string }

interface EmFS {
  mkdir(p: string): void
  writeFile(p: string, d: Uint8Array): void
  readdir(p: string): string[]
  readFile(p: string): Uint8Array
}
interface EmModule {
  FS: EmFS
  callMain(args: string[]): number
}

const post = (m: WorkerMessage, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m, transfer)
const log: string[] = []
// Beside the worker's own script, so that it follows http.basePath (the worker has no page to read it from).
const WASM_URL = new URL('dcm2niix.wasm', self.location.href).pathname
const ready: Promise<EmModule> = Module({
  // Compiled while it streams in, from nora (script-src 'wasm-unsafe-eval' allows it).
  // This Emscripten build awaits what the hook returns as the module's exports: a promise of them.
  instantiateWasm: (imports, receive) =>
    WebAssembly.instantiateStreaming(fetch(WASM_URL, { credentials: 'same-origin' }), imports).then(
      (r) => receive(r.instance),
      (e: unknown) => post({ type: 'error', message: `dcm2niix (WASM) could not be loaded from ${WASM_URL}: ${e instanceof Error ? e.message : String(e)}` }),
    ),
  print: (s: string) => log.push(s),
  printErr: (s: string) => log.push(s),
})
ready.then(
  () => post({ type: 'ready' }),
  (e: unknown) => post({ type: 'error', message: `dcm2niix (WASM) did not start: ${e instanceof Error ? e.message : String(e)}` }),
)

self.onunhandledrejection = (e: PromiseRejectionEvent) => post({ type: 'error', message: `dcm2niix (WASM): ${e.reason instanceof Error ? e.reason.message : String(e.reason)}` })

self.onmessage = async (e: MessageEvent<ConvertRequest>) => {
  try {
    const mod = await ready
    const files = e.data.files
    mod.FS.mkdir('/in')
    mod.FS.mkdir('/out')
    for (const [i, f] of files.entries()) {
      const data = f.data instanceof Blob ? new Uint8Array(await f.data.arrayBuffer()) : f.data
      // Flat names: the dropped folders' structure means nothing to dcm2niix; the index keeps names unique.
      mod.FS.writeFile(`/in/${i}_${f.name.replace(/[^\w.-]/g, '_').slice(-80)}`, data)
      if (i % 50 === 0 || i === files.length - 1) post({ type: 'progress', phase: 'write', done: i + 1, total: files.length })
    }
    post({ type: 'progress', phase: 'convert', done: 0, total: files.length })
    // No gzip (the page reads the .nii at once), no BIDS sidecar, name: series number and description.
    const exitCode = mod.callMain(['-z', 'n', '-b', 'n', '-f', '%s_%d', '-o', '/out', '/in'])
    const out = mod.FS.readdir('/out')
      .filter((n) => /\.nii$/.test(n))
      .sort((a, b) => parseInt(a) - parseInt(b) || a.localeCompare(b))
      .map((name) => ({ name, data: mod.FS.readFile(`/out/${name}`) }))
    post({ type: 'done', exitCode, log: log.slice(-40).join('\n'), files: out }, out.map((f) => f.data.buffer))
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) })
  }
}
