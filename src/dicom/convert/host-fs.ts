import type { EmscriptenFS, EmscriptenFilesystem, EmscriptenNode, EmscriptenStream } from '../../../node_modules/@niivue/dcm2niix/dist/dcm2niix.jpeg.js'
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
  type Stats,
} from 'node:fs'
import { join } from 'node:path'

/**
 * An Emscripten file system that passes every call through to the host, so that the WASM dcm2niix reads its
 * input straight from disk and writes its NIfTIs straight to disk: nothing of a series is held in the module's
 * in-memory file system (MEMFS held the inputs and the outputs, ~3x the series, in memory).
 *
 *   FS.mount(hostFs(FS), { root: '/host/dir' }, '/out')      a host folder, read and write
 *   FS.mount(hostFs(FS), { files: new Map([['IM1', '/a/x.dcm']]) }, '/in')   a read-only folder of the named host files
 *
 * Host symlinks look like their targets (stat follows them). A `files` folder and its files are read-only, and
 * taken as unchanging while mounted: their stats are read once (dcm2niix stats and seeks each input many times).
 */
export interface HostFsOptions {
  root?: string
  files?: Map<string, string>
}

export interface HostFs extends EmscriptenFilesystem {
  /** Closes the host files still open (after dcm2niix crashed mid-read, its streams were never closed). */
  closeAll(): void
}

export function hostFs(FS: EmscriptenFS): HostFs {
  // Emscripten numbers errors as WASI does; Node's codes mapped to them.
  const ERRNO = {
    EACCES: 2, EBADF: 8, EEXIST: 20, EINVAL: 28, EIO: 29, EISDIR: 31, EMFILE: 33, ENAMETOOLONG: 37,
    ENOENT: 44, ENOSPC: 51, ENOTDIR: 54, ENOTEMPTY: 55, EPERM: 63, EROFS: 69, EXDEV: 75,
  } as const
  const errnoOf = (code: string): number => (ERRNO as Record<string, number>)[code] ?? ERRNO.EIO
  // Bits of an Emscripten open() flag word that mean the same on the host (access mode, append); creation and
  // truncation were done already by mknod/setattr when FS.open calls stream_ops.open.
  const O_ACCMODE = 3
  const O_APPEND = 1024

  const host = <T>(f: () => T): T => {
    try {
      return f()
    } catch (e) {
      const code = (e as { code?: string }).code
      if (code === undefined) throw e
      throw new FS.ErrnoError(errnoOf(code))
    }
  }

  const optsOf = (node: EmscriptenNode) => node.mount.opts as HostFsOptions
  const isListRoot = (node: EmscriptenNode) => node.parent === node && optsOf(node).files !== undefined

  const realPath = (node: EmscriptenNode): string => {
    const parts: string[] = []
    while (node.parent !== node) {
      parts.push(node.name)
      node = node.parent
    }
    parts.reverse()
    const { root, files } = optsOf(node)
    if (!files) return join(root!, ...parts)
    const file = parts.length ? files.get(parts[0]!) : undefined
    if (file === undefined) throw new FS.ErrnoError(ERRNO.ENOENT)
    return join(file, ...parts.slice(1))
  }

  // The root of a `files` mount: a read-only directory that exists only in the module.
  const listRootStat = (node: EmscriptenNode) => {
    const now = new Date()
    return { dev: 1, ino: node.id, mode: 0o40555, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 4096, blksize: 4096, blocks: 8, atime: now, mtime: now, ctime: now }
  }
  // Nothing in a `files` mount is written: those are the caller's DICOM files.
  const readOnly = (node: EmscriptenNode) => {
    if (optsOf(node).files) throw new FS.ErrnoError(ERRNO.EROFS)
  }

  const statCache = new WeakMap<HostFsOptions, { names: string[]; stats: Map<string, Stats> }>()
  const cacheOf = (opts: HostFsOptions) => {
    let cache = statCache.get(opts)
    if (!cache) statCache.set(opts, (cache = { names: [...opts.files!.keys()], stats: new Map() }))
    return cache
  }
  const stat = (opts: HostFsOptions, path: string): Stats => {
    if (!opts.files) return host(() => statSync(path))
    const { stats } = cacheOf(opts)
    let st = stats.get(path)
    if (!st) stats.set(path, (st = host(() => statSync(path))))
    return st
  }

  const createNode = (parent: EmscriptenNode | null, name: string, mode: number): EmscriptenNode => {
    const node = FS.createNode(parent, name, mode, 0)
    node.node_ops = nodeOps
    node.stream_ops = streamOps
    return node
  }

  const nodeOps = {
    getattr: (node: EmscriptenNode) => (isListRoot(node) ? listRootStat(node) : stat(optsOf(node), realPath(node))),
    // Modes stay as the host's umask made them (the module asks for 0666 on every file it creates).
    setattr(node: EmscriptenNode, attr: { size?: number; atime?: number; mtime?: number }) {
      readOnly(node)
      const path = realPath(node)
      host(() => {
        if (attr.size !== undefined) truncateSync(path, attr.size)
        if (attr.atime != null && attr.mtime != null) utimesSync(path, new Date(attr.atime), new Date(attr.mtime))
      })
    },
    lookup(parent: EmscriptenNode, name: string) {
      const path = isListRoot(parent) ? optsOf(parent).files!.get(name) : join(realPath(parent), name)
      if (path === undefined) throw new FS.ErrnoError(ERRNO.ENOENT)
      return createNode(parent, name, stat(optsOf(parent), path).mode)
    },
    mknod(parent: EmscriptenNode, name: string, mode: number) {
      readOnly(parent)
      const node = createNode(parent, name, mode)
      const path = realPath(node)
      host(() => (FS.isDir(mode) ? mkdirSync(path, { mode: mode & 0o777 }) : writeFileSync(path, '', { mode: mode & 0o777 })))
      return node
    },
    rename(node: EmscriptenNode, newDir: EmscriptenNode, newName: string) {
      readOnly(node.parent)
      readOnly(newDir)
      host(() => renameSync(realPath(node), join(realPath(newDir), newName)))
      node.name = newName
    },
    unlink: (parent: EmscriptenNode, name: string) => (readOnly(parent), host(() => unlinkSync(join(realPath(parent), name)))),
    rmdir: (parent: EmscriptenNode, name: string) => (readOnly(parent), host(() => rmdirSync(join(realPath(parent), name)))),
    readdir: (node: EmscriptenNode) => ['.', '..', ...(isListRoot(node) ? cacheOf(optsOf(node)).names : host(() => readdirSync(realPath(node))))],
    symlink: (parent: EmscriptenNode, name: string, target: string) => (readOnly(parent), host(() => symlinkSync(target, join(realPath(parent), name)))),
    readlink: (node: EmscriptenNode) => host(() => readlinkSync(realPath(node))),
  }

  const open = new Set<number>()

  const fd = (stream: EmscriptenStream): number => {
    if (stream.hostFd === undefined) throw new FS.ErrnoError(ERRNO.EBADF)
    return stream.hostFd
  }

  const streamOps = {
    open(stream: EmscriptenStream) {
      if (!FS.isFile(stream.node.mode)) return
      if ((stream.flags & O_ACCMODE) !== 0) readOnly(stream.node)
      stream.hostFd = host(() => openSync(realPath(stream.node), stream.flags & (O_ACCMODE | O_APPEND)))
      open.add(stream.hostFd)
    },
    close(stream: EmscriptenStream) {
      const hostFd = stream.hostFd
      if (hostFd === undefined) return
      stream.hostFd = undefined
      open.delete(hostFd)
      host(() => closeSync(hostFd))
    },
    read: (stream: EmscriptenStream, buffer: Int8Array, offset: number, length: number, position: number) =>
      host(() => readSync(fd(stream), buffer, offset, length, position)),
    write: (stream: EmscriptenStream, buffer: Int8Array, offset: number, length: number, position: number) =>
      host(() => writeSync(fd(stream), buffer, offset, length, position)),
    llseek(stream: EmscriptenStream, offset: number, whence: number) {
      let position = offset
      if (whence === 1) position += stream.position
      else if (whence === 2 && FS.isFile(stream.node.mode)) {
        const opts = optsOf(stream.node)
        position += opts.files ? stat(opts, realPath(stream.node)).size : host(() => fstatSync(fd(stream)).size)
      }
      if (position < 0) throw new FS.ErrnoError(ERRNO.EINVAL)
      return position
    },
  }

  return {
    closeAll() {
      for (const hostFd of open) closeSync(hostFd)
      open.clear()
    },
    mount(mount) {
      const { root, files } = mount.opts as HostFsOptions
      if (files) return createNode(null, '/', 0o40555)
      return createNode(null, '/', host(() => statSync(root!)).mode)
    },
  }
}
