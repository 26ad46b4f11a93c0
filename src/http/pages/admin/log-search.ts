import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs'

/** "1434 bytes", "12 KB", "4.0 MB". */
const bytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 10240 ? `${Math.round(n / 1024)} KB` : `${n} bytes`)

export interface LogView {
  lines: string[]
  info: string
}

/**
 * The end of the server log (data/logs/nora.log), bounded: at most `maxBytes` from its end are read, and of the
 * lines there that contain `query` (case ignored) the last `maxLines` are returned, control characters dropped.
 * The page escapes them (a DICOM name in a log line is hostile input).
 */
export function searchLog(file: string, query: string, opts: { maxBytes?: number; maxLines?: number } = {}): LogView {
  const maxBytes = opts.maxBytes ?? 4 * 1024 * 1024
  const maxLines = opts.maxLines ?? 1000
  if (!existsSync(file)) return { lines: [], info: 'no log yet (nora start writes it; nora serve in a terminal logs there instead)' }
  const fd = openSync(file, 'r')
  let text: string
  let size: number
  try {
    size = fstatSync(fd).size
    const length = Math.min(size, maxBytes)
    const buf = new Uint8Array(length)
    readSync(fd, buf, 0, length, size - length)
    text = new TextDecoder().decode(buf)
    if (length < size) text = text.slice(text.indexOf('\n') + 1) // the first line was cut
  } finally {
    closeSync(fd)
  }
  const needle = query.trim().toLowerCase()
  const all = text.split('\n').filter((l) => l !== '')
  const hits = needle ? all.filter((l) => l.toLowerCase().includes(needle)) : all
  const lines = hits.slice(-maxLines).map((l) => l.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, ''))
  const scope = size > maxBytes ? `the last ${bytes(maxBytes)} of ${bytes(size)}` : bytes(size)
  const shown = hits.length > lines.length ? `the last ${lines.length} of ${hits.length}` : `${lines.length}`
  return { lines, info: `${shown} line(s)${needle ? ` containing "${query.trim()}"` : ''} in ${scope}` }
}
