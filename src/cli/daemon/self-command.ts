import { isCompiled } from '../../core/runtime'

/** The argv that runs this same nora again: the compiled binary itself, or bun with the entry script. */
export function selfArgv(...args: string[]): string[] {
  return isCompiled() ? [process.execPath, ...args] : [process.execPath, Bun.main, ...args]
}
