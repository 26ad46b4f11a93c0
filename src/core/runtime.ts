/** True inside a `bun build --compile` executable (its entry lives in Bun's embedded file system). */
export function isCompiled(): boolean {
  return Bun.main.startsWith('/$bunfs/') || Bun.main.startsWith('B:/~BUN/')
}
