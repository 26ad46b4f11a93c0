import type { Out } from './context'

/** A one-line progress bar on a terminal (stderr), or nothing when output goes to a file or pipe. */
export function progressBar(io: Out) {
  let last = 0
  return {
    update(label: string, done: number, total: number) {
      if (!io.tty || Date.now() - last < 100) return
      last = Date.now()
      const width = 30
      const filled = total > 0 ? Math.round((done / total) * width) : 0
      const bar = total > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}` : `${done}`
      process.stderr.write(`\r\x1b[2K${label} ${bar}`)
    },
    end() {
      if (io.tty) process.stderr.write('\r\x1b[2K')
    },
  }
}
