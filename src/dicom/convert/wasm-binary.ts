// The package exports only its browser wrapper, so the Emscripten build is imported by its path in node_modules.
import wasmPath from '../../../node_modules/@niivue/dcm2niix/dist/dcm2niix.jpeg.wasm' with { type: 'file' }

/**
 * Where dcm2niix's WASM build is (the JPEG build: JPEG lossless, JPEG-LS and JPEG 2000 decoders included). Under
 * `bun build --compile` the file is embedded in the executable and this path points into it (/$bunfs/...).
 */
export const DCM2NIIX_WASM_PATH: string = wasmPath

/** The .wasm bytes embedded with nora. */
export function loadDcm2niixWasm(): Promise<Uint8Array> {
  return Bun.file(wasmPath).bytes()
}

/** Compiles the given .wasm bytes, or the embedded ones. Compile once, instantiate per module. */
export async function compileDcm2niix(wasm?: Uint8Array | ArrayBuffer | WebAssembly.Module): Promise<WebAssembly.Module> {
  if (wasm instanceof WebAssembly.Module) return wasm
  return WebAssembly.compile(wasm ?? (await loadDcm2niixWasm()))
}
