import { closeSync, fsync, openSync } from 'node:fs'

/** One directory's fsync under way, and the one that will follow it for those who came in meanwhile. */
interface DirectoryState {
  running?: Promise<void>
  next?: Promise<void>
}

/**
 * Makes the entries of a directory durable (fsync of the directory), grouped: whoever asks while an fsync of that
 * directory is under way waits for the next one, which starts when it ends and covers all of them. Instances that
 * arrive together (several associations) share one directory fsync instead of queueing one each.
 */
export class DirectorySync {
  private readonly dirs = new Map<string, DirectoryState>()

  /** Resolves once every entry created, renamed or removed in `dir` before the call is on disk. */
  flush(dir: string): Promise<void> {
    let s = this.dirs.get(dir)
    if (!s) this.dirs.set(dir, (s = {}))
    const { running } = s
    if (!running) return (s.running = this.run(dir, s))
    // The running fsync may have started before the caller's change: the next one is sure to cover it.
    const state = s
    state.next ??= running.then(
      () => this.after(dir, state),
      () => this.after(dir, state),
    )
    return state.next
  }

  private after(dir: string, s: DirectoryState): Promise<void> {
    s.next = undefined
    return (s.running = this.run(dir, s))
  }

  private run(dir: string, s: DirectoryState): Promise<void> {
    const done: Promise<void> = fsyncDirectory(dir).finally(() => {
      if (s.running === done) s.running = undefined
      if (!s.running && !s.next) this.dirs.delete(dir)
    })
    return done
  }
}

/** Opening and closing are quick and done here; only the fsync waits in the thread pool (behind the files' fsyncs). */
function fsyncDirectory(dir: string): Promise<void> {
  let fd: number
  try {
    fd = openSync(dir, 'r')
  } catch (e) {
    return Promise.reject(e)
  }
  return fsyncDescriptor(fd).finally(() => closeSync(fd))
}

/** fsync in the thread pool: the event loop serves other connections meanwhile. */
export const fsyncDescriptor = (fd: number) => new Promise<void>((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())))
