/**
 * JSON with the position of its first error (line and column, 1-based), the same in every browser: the engines'
 * own JSON.parse messages differ (V8 names a position, JavaScriptCore does not), so a small strict scanner finds it.
 * Used by the form designer's Preview and Save (the form and reading tabs).
 */

export interface JsonError {
  message: string
  /** Offset in the text (0-based), line and column (1-based). */
  offset: number
  line: number
  column: number
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; error: JsonError }

/** Line and column (1-based) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let start = 0
  for (let i = 0; i < offset && i < text.length; i++)
    if (text[i] === '\n') {
      line++
      start = i + 1
    }
  return { line, column: offset - start + 1 }
}

class Fail extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message)
  }
}

/** Parses `text` as JSON; on failure, what is wrong and where ("line 3, column 14: expected ',' or '}'"). */
export function checkJson(text: string): JsonResult {
  try {
    scan(text)
  } catch (e) {
    if (!(e instanceof Fail)) throw e
    const at = lineColumn(text, e.offset)
    return { ok: false, error: { message: `line ${at.line}, column ${at.column}: ${e.message}`, offset: e.offset, ...at } }
  }
  return { ok: true, value: JSON.parse(text) }
}

const show = (c: string | undefined) => (c === undefined ? 'the end of the text' : c === '\n' ? 'a line break' : `'${c}'`)

function scan(s: string): void {
  let i = 0
  const ws = () => {
    while (i < s.length && ' \t\n\r'.includes(s[i]!)) i++
  }
  const expect = (what: string): never => {
    throw new Fail(`expected ${what}, found ${show(s[i])}`, i)
  }
  const string = () => {
    i++ // the opening quote
    while (i < s.length) {
      const c = s[i]!
      if (c === '"') return void i++
      if (c === '\\') {
        const e = s[i + 1]
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) throw new Fail('a \\u escape needs four hex digits', i)
          i += 6
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2
        else throw new Fail(`unknown escape \\${e ?? ''} in a string`, i)
        continue
      }
      if (c < ' ') throw new Fail(c === '\n' ? 'a string must end on its line (missing closing ")' : 'control character in a string', i)
      i++
    }
    throw new Fail('a string is not closed (missing ")', i)
  }
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(i))
    if (!m) expect('a value')
    i += m![0].length
  }
  const value = (depth: number): void => {
    if (depth > 200) throw new Fail('nested too deeply', i)
    ws()
    const c = s[i]
    if (c === '{') {
      i++
      ws()
      if (s[i] === '}') return void i++
      for (;;) {
        ws()
        if (s[i] === '}') throw new Fail("a ',' before '}' (trailing comma)", i)
        if (s[i] !== '"') expect('a "key" in double quotes')
        string()
        ws()
        if (s[i] !== ':') expect("':' after the key")
        i++
        value(depth + 1)
        ws()
        if (s[i] === ',') {
          i++
          continue
        }
        if (s[i] === '}') return void i++
        expect("',' or '}'")
      }
    }
    if (c === '[') {
      i++
      ws()
      if (s[i] === ']') return void i++
      for (;;) {
        ws()
        if (s[i] === ']') throw new Fail("a ',' before ']' (trailing comma)", i)
        value(depth + 1)
        ws()
        if (s[i] === ',') {
          i++
          continue
        }
        if (s[i] === ']') return void i++
        expect("',' or ']'")
      }
    }
    if (c === '"') return string()
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number()
    for (const word of ['true', 'false', 'null'])
      if (s.startsWith(word, i)) {
        i += word.length
        return
      }
    if (c === "'") throw new Fail('strings and keys need double quotes, not single quotes', i)
    expect('a value')
  }
  value(0)
  ws()
  if (i < s.length) throw new Fail(`unexpected ${show(s[i])} after the end of the JSON`, i)
}
