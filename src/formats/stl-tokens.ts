import { FormatError } from './format-error'

/** Whitespace-separated words of an ASCII STL, scanned over the bytes (no whole-file string). */
export class StlTokens {
  private pos = 0

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {}

  /** The next word, or undefined at the end of the file. */
  next(): string | undefined {
    const b = this.bytes
    while (this.pos < b.length && isSpace(b[this.pos]!)) this.pos++
    if (this.pos >= b.length) return undefined
    const start = this.pos
    while (this.pos < b.length && !isSpace(b[this.pos]!)) this.pos++
    if (this.pos - start > 256) this.fail('token', `a ${this.pos - start}-byte word is not STL`)
    let s = ''
    for (let i = start; i < this.pos; i++) s += String.fromCharCode(b[i]!)
    return s
  }

  /** The rest of the current line (a solid's name), trimmed, at most 256 characters kept. */
  restOfLine(): string {
    const b = this.bytes
    const start = this.pos
    while (this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++
    let s = ''
    for (let i = start; i < Math.min(this.pos, start + 256); i++) s += String.fromCharCode(b[i]!)
    return s.trim()
  }

  expectWord(field: string): string {
    const w = this.next()
    if (w === undefined) this.fail(field, 'truncated: unexpected end of file')
    return w.toLowerCase()
  }

  expect(word: string, field: string): void {
    const w = this.expectWord(field)
    if (w !== word) this.fail(field, `expected "${word}", got "${w.slice(0, 40)}"`)
  }

  numbers(count: number, field: string): void {
    for (let i = 0; i < count; i++) {
      const w = this.expectWord(field)
      if (!Number.isFinite(Number(w)) || w === '') this.fail(field, `expected a number, got "${w.slice(0, 40)}"`)
    }
  }

  fail(field: string, message: string): never {
    throw new FormatError(this.file, field, message)
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d)
}
