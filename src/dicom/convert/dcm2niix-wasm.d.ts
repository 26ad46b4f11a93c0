// Types for the parts of @niivue/dcm2niix's Emscripten module that nora uses (the package ships no .d.ts).

declare module '*/dcm2niix.jpeg.js' {
  /** A node of the Emscripten file system (a file, directory or link inside the module). */
  export interface EmscriptenNode {
    id: number
    name: string
    mode: number
    parent: EmscriptenNode
    mount: { opts: Record<string, unknown> }
    node_ops: Record<string, unknown>
    stream_ops: Record<string, unknown>
  }

  /** An open file of the Emscripten file system; `hostFd` is set by nora's host-fs on files it opened on disk. */
  export interface EmscriptenStream {
    node: EmscriptenNode
    flags: number
    position: number
    hostFd?: number
  }

  /** A file system type that FS.mount accepts. */
  export interface EmscriptenFilesystem {
    mount(mount: { opts: Record<string, unknown> }): EmscriptenNode
  }

  export interface EmscriptenFS {
    mkdir(path: string): void
    rmdir(path: string): void
    mount(type: EmscriptenFilesystem, opts: Record<string, unknown>, mountpoint: string): EmscriptenNode
    unmount(mountpoint: string): void
    createNode(parent: EmscriptenNode | null, name: string, mode: number, rdev: number): EmscriptenNode
    isDir(mode: number): boolean
    isFile(mode: number): boolean
    readdir(path: string): string[]
    readFile(path: string): Uint8Array
    writeFile(path: string, data: Uint8Array | string): void
    ErrnoError: new (errno: number) => Error & { errno: number }
  }

  export interface Dcm2niixModule {
    FS: EmscriptenFS
    callMain(args: string[]): number
    HEAPU8: Uint8Array
  }

  export interface Dcm2niixModuleOptions {
    wasmBinary?: Uint8Array | ArrayBuffer
    /** Emscripten's hook to instantiate the wasm ourselves (e.g. from an already compiled WebAssembly.Module). */
    instantiateWasm?: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => unknown) => unknown
    print?: (line: string) => void
    printErr?: (line: string) => void
    noInitialRun?: boolean
  }

  const Module: (options?: Dcm2niixModuleOptions) => Promise<Dcm2niixModule>
  export default Module
}

// `import path from 'x.wasm' with { type: 'file' }`: a path that Bun.file() opens, also inside a compiled binary.
declare module '*.wasm' {
  const path: string
  export default path
}
