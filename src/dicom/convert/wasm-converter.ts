// The package exports only its browser wrapper, so the Emscripten build is imported by its path in node_modules.
import createDcm2niix, { type Dcm2niixModule } from '../../../node_modules/@niivue/dcm2niix/dist/dcm2niix.jpeg.js'
import { mkdirSync } from 'node:fs'
import { ConvertError, PARTIAL_SUCCESS_CODES } from './convert-error'
import { dcm2niixArgs, type ConvertOptions, type ConvertResult, type Converter } from './converter'
import { hostFs } from './host-fs'
import { checkInputs, inputEntryName, inputFolderName, withCallerPaths } from './input-folder'
import { discardNew, listFiles, newOutputs } from './output-files'
import { compileDcm2niix } from './wasm-binary'

export interface WasmConverterOptions {
  /** dcm2niix's .wasm, as bytes or compiled; default the build embedded with nora (wasm-binary.ts). */
  wasm?: Uint8Array | ArrayBuffer | WebAssembly.Module
  /**
   * A module whose memory grew beyond this during a series is dropped after it, and the next series gets a new
   * one: WASM memory never shrinks, so this bounds what an idle converter holds. Default 256 MiB.
   */
  keepHeapBelowBytes?: number
}

interface Instance {
  mod: Dcm2niixModule
  log: string[]
}

/**
 * dcm2niix's WASM build, run in this thread (the pool runs it in a Worker; see converter-pool.ts). The module
 * reads the series from disk and writes the NIfTIs to disk through host-fs, so its memory holds dcm2niix's own
 * buffers only (about one copy of the volume). One module serves series after series, as the upstream worker
 * does; it is replaced after a crash or a series that made its memory large.
 */
export class WasmConverter implements Converter {
  readonly kind = 'builtin' as const
  private readonly compiled: Promise<WebAssembly.Module>
  private readonly keepHeapBelowBytes: number
  private current?: Promise<Instance>
  private versionText?: string

  constructor(opts: WasmConverterOptions = {}) {
    this.compiled = compileDcm2niix(opts.wasm)
    this.keepHeapBelowBytes = opts.keepHeapBelowBytes ?? 256 * 2 ** 20
  }

  /** Bytes of WASM memory the current module holds (0 when none). */
  async heapBytes(): Promise<number> {
    return this.current ? (await this.current).mod.HEAPU8.length : 0
  }

  async version(): Promise<string> {
    if (!this.versionText) {
      const { log } = this.run(await this.instance(), ['--version'])
      this.versionText = log.join('\n').match(/v\d+\.\d+\.\d+\w*/)?.[0] ?? 'unknown'
    }
    return this.versionText
  }

  async convertSeries(inputFiles: string[], outDir: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
    checkInputs(inputFiles)
    mkdirSync(outDir, { recursive: true })
    const before = listFiles(outDir)
    const inst = await this.instance()
    const { FS } = inst.mod
    const fs = hostFs(FS)
    const inDir = `/in/${inputFolderName(inputFiles)}`
    FS.mkdir(inDir)
    FS.mount(fs, { files: new Map(inputFiles.map((p, i) => [inputEntryName(i), p])) }, inDir)
    FS.mount(fs, { root: outDir }, '/out')
    const ran = this.run(inst, dcm2niixArgs(inDir, '/out', opts))
    const log = withCallerPaths(ran.log, inDir, inputFiles, { seen: '/out', real: outDir })
    if (ran.crash) {
      fs.closeAll()
      discardNew(outDir, before)
      throw new ConvertError(`dcm2niix (builtin) crashed: ${ran.crash.message}`, log, null)
    }
    FS.unmount('/out')
    FS.unmount(inDir)
    FS.rmdir(inDir)
    if (inst.mod.HEAPU8.length > this.keepHeapBelowBytes) this.release()
    const outputs = newOutputs(outDir, before)
    const ok = ran.exitCode === 0 || PARTIAL_SUCCESS_CODES.includes(ran.exitCode)
    if (!ok || !outputs.some((p) => /\.nii(\.gz)?$/.test(p))) {
      discardNew(outDir, before)
      throw ConvertError.fromExit('dcm2niix (builtin)', ran.exitCode, log)
    }
    return { outputs, log, exitCode: ran.exitCode }
  }

  /** Lets go of the module (and its memory, once collected). */
  release(): void {
    this.current = undefined
  }

  private instance(): Promise<Instance> {
    this.current ??= (async () => {
      const compiled = await this.compiled
      const log: string[] = []
      const mod = await createDcm2niix({
        instantiateWasm(imports, receive) {
          const instance = new WebAssembly.Instance(compiled, imports)
          receive(instance)
          return instance.exports
        },
        print: (line) => log.push(line),
        printErr: (line) => log.push(line),
      })
      mod.FS.mkdir('/in')
      mod.FS.mkdir('/out')
      return { mod, log }
    })()
    return this.current
  }

  /**
   * callMain, keeping what Emscripten does to the process out of it (its exit() sets process.exitCode). A trap or
   * abort() inside dcm2niix leaves the module's state undefined: it is released, the next series gets a new one.
   */
  private run(inst: Instance, args: string[]): { exitCode: number; log: string[]; crash?: Error } {
    inst.log.length = 0
    const savedExitCode = process.exitCode
    try {
      return { exitCode: inst.mod.callMain(args), log: [...inst.log] }
    } catch (e) {
      this.release()
      return { exitCode: -1, log: [...inst.log], crash: e as Error }
    } finally {
      process.exitCode = savedExitCode ?? 0 // Bun ignores undefined here; 0 exits the same
    }
  }
}
