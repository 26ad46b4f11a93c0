import { basename, dirname } from 'node:path'

/** The running binary's folder when it is the compiled nora (so `nora` is on a job's PATH), else undefined. */
export function defaultNoraDir(): string | undefined {
  return basename(process.execPath) === 'nora' ? dirname(process.execPath) : undefined
}
