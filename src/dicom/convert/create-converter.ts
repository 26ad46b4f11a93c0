import { existsSync } from 'node:fs'
import { ConfigError } from '../../core/errors'
import { NativeConverter } from './native-converter'

/**
 * The converter main.conf names: a path to a native dcm2niix, or "builtin". Until the embedded WASM build is
 * wired in, "builtin" uses Debian's dcm2niix (install.sh and test/run.sh install it).
 */
export function createConverter(setting: string): NativeConverter {
  const path = setting === 'builtin' ? (Bun.which('dcm2niix') ?? '/usr/bin/dcm2niix') : setting
  if (setting !== 'builtin' && !existsSync(path)) throw new ConfigError(`conf/main.conf: import.converter: ${path} does not exist`)
  return new NativeConverter(path)
}
