import type { EmscriptenFS, EmscriptenFilesystem, EmscriptenNode, EmscriptenStream } from '../../../node_modules/@niivue/dcm2niix/dist/dcm2niix.jpeg.js'
import {
  chmodSync,
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
} from 'node:fs'
import { join } from 'node:path'

/**
 * An Emscripten file system that passes every call through to a folder on the host, so that the WASM dcm2niix
 * reads its input straight from disk and writes its NIfTIs straight to disk: nothing of a series is held in the
 * module's in-memory file system (MEMFS kept the inputs and the outputs, ~3x the series, in memory).
 * Mount with FS.mount(hostFs(FS), { root: '/host/dir' }, '/in'). Host symlinks look like their targets (stat
 * follows them), so a folder of symlinks to a series' files reads as that series.
 */
export function hostFs(FS: EmscriptenFS): EmscriptenFilesystem {
  // Emscripten numbers errors as WASI does; Node's codes mapped to them.
  const ERRNO: Record<string, number> = {
    EACCES: 2, EBADF: 8, EEXIST: 20, EINVAL: 28, EIO: 29, EISDIR: 31, EMFILE: 33, ENAMETOOLONG: 37,
    ENOENT: 44, ENOSPC: 51, ENOTDIR: 54, ENOTEMPTY: 55, EPERM: 63, EROFS: 69, EXDEV: 75,
  }
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
      throw new FS.ErrnoError(ERRNO[code] ?? ERRNO.EIO!)
    }
  }

  const realPath = (node: EmscriptenNode): string => {
    const parts: string[] = []
    while (node.parent !== node) {
      parts.push(node.name)
      node = node.parent
    }
    return join(node.mount.opts.root as string, ...parts.reverse())
  }

  const createNode = (parent: EmscriptenNode | null, name: string, mode: number): EmscriptenNode => {
    const node = FS.createNode(parent, name, mode, 0)
    node.node_ops = nodeOps
    node.stream_ops = streamOps
    return node
  }

  const nodeOps = {
    getattr: (node: EmscriptenNode) => host(() => statSync(realPath(node))),
    setattr(node: EmscriptenNode, attr: { mode?: number; size?: number; atime?: number; mtime?: number }) {
      const path = realPath(node)
      host(() => {
        if (attr.mode != null) chmodSync(path, attr.mode & 0o7777)
        if (attr.size !== undefined) truncateSync(path, attr.size)
        if (attr.atime != null && attr.mtime != null) utimesSync(path, new Date(attr.atime), new Date(attr.mtime))
      })
    },
    lookup(parent: EmscriptenNode, name: string) {
      const st = host(() => statSync(join(realPath(parent), name)))
      return createNode(parent, name, st.mode)
    },
    mknod(parent: EmscriptenNode, name: string, mode: number) {
      const node = createNode(parent, name, mode)
      const path = realPath(node)
      host(() => (FS.isDir(mode) ? mkdirSync(path, { mode: mode & 0o777 }) : writeFileSync(path, '', { mode: mode & 0o777 })))
      return node
    },
    rename(node: EmscriptenNode, newDir: EmscriptenNode, newName: string) {
      host(() => renameSync(realPath(node), join(realPath(newDir), newName)))
      node.name = newName
    },
    unlink: (parent: EmscriptenNode, name: string) => host(() => unlinkSync(join(realPath(parent), name))),
    rmdir: (parent: EmscriptenNode, name: string) => host(() => rmdirSync(join(realPath(parent), name))),
    readdir: (node: EmscriptenNode) => ['.', '..', ...host(() => readdirSync(realPath(node)))],
    symlink: (parent: EmscriptenNode, name: string, target: string) => host(() => symlinkSync(target, join(realPath(parent), name))),
    readlink: (node: EmscriptenNode) => host(() => readlinkSync(realPath(node))),
  }

  const fd = (stream: EmscriptenStream): number => {
    if (stream.hostFd === undefined) throw new FS.ErrnoError(ERRNO.EBADF!)
    return stream.hostFd
  }

  const streamOps = {
    open(stream: EmscriptenStream) {
      if (FS.isFile(stream.node.mode)) stream.hostFd = host(() => openSync(realPath(stream.node), stream.flags & (O_ACCMODE | O_APPEND)))
    },
    close(stream: EmscriptenStream) {
      if (stream.hostFd !== undefined) host(() => closeSync(stream.hostFd!))
      stream.hostFd = undefined
    },
    read: (stream: EmscriptenStream, buffer: Int8Array, offset: number, length: number, position: number) =>
      host(() => readSync(fd(stream), buffer, offset, length, position)),
    write: (stream: EmscriptenStream, buffer: Int8Array, offset: number, length: number, position: number) =>
      host(() => writeSync(fd(stream), buffer, offset, length, position)),
    llseek(stream: EmscriptenStream, offset: number, whence: number) {
      let position = offset
      if (whence === 1) position += stream.position
      else if (whence === 2 && FS.isFile(stream.node.mode)) position += host(() => fstatSync(fd(stream)).size)
      if (position < 0) throw new FS.ErrnoError(ERRNO.EINVAL!)
      return position
    },
  }

  return {
    mount: (mount) => createNode(null, '/', host(() => statSync(mount.opts.root as string)).mode),
  }
}
