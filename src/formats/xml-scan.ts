import { FormatError } from './format-error'

/** What the scanner reports; text is only decoded when `onText` is asked for it. */
export interface XmlHandler {
  onStart(name: string, attrs: Map<string, string>, parents: readonly string[]): void
  onEnd?(name: string, parents: readonly string[]): void
  /** Character data (text or CDATA) directly inside `parents.at(-1)`; `decode()` yields it. */
  onText?(parents: readonly string[], decode: () => string): void
}

const MAX_DEPTH = 256
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/
const decoder = new TextDecoder('utf-8')

/**
 * A small, strict XML scanner over bytes: one root element, balanced tags, quoted attributes,
 * comments, processing instructions, CDATA and a DOCTYPE. Large text (base64 data) is skipped,
 * not decoded. Malformed input throws FormatError(file, 'xml', ...) naming the line.
 */
export function scanXml(bytes: Uint8Array, file: string, handler: XmlHandler): void {
  const fail = (at: number, why: string): never => {
    let line = 1
    for (let i = 0; i < at && i < bytes.length; i++) if (bytes[i] === 0x0a) line++
    throw new FormatError(file, 'xml', `line ${line}: ${why}`)
  }
  const find = (seq: string, from: number, what: string): number => {
    const i = indexOf(bytes, seq, from)
    if (i < 0) fail(from, `unterminated ${what}`)
    return i
  }
  const stack: string[] = []
  let rootDone = false
  let pos = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  for (;;) {
    const lt = bytes.indexOf(0x3c, pos)
    const textEnd = lt < 0 ? bytes.length : lt
    if (textEnd > pos) {
      if (stack.length === 0) {
        if (!isBlank(bytes, pos, textEnd)) fail(pos, 'text outside the root element')
      } else if (handler.onText) {
        const [s, e] = [pos, textEnd]
        handler.onText(stack, () => decodeEntities(decoder.decode(bytes.subarray(s, e)), () => fail(s, 'bad entity reference')))
      }
    }
    if (lt < 0) break
    if (startsAt(bytes, '<?', lt)) pos = find('?>', lt + 2, 'processing instruction') + 2
    else if (startsAt(bytes, '<!--', lt)) pos = find('-->', lt + 4, 'comment') + 3
    else if (startsAt(bytes, '<![CDATA[', lt)) {
      if (stack.length === 0) fail(lt, 'CDATA outside the root element')
      const end = find(']]>', lt + 9, 'CDATA section')
      handler.onText?.(stack, () => decoder.decode(bytes.subarray(lt + 9, end)))
      pos = end + 3
    } else if (startsAt(bytes, '<!DOCTYPE', lt)) {
      if (stack.length > 0 || rootDone) fail(lt, 'DOCTYPE inside the document')
      const gt = find('>', lt, 'DOCTYPE')
      const open = bytes.indexOf(0x5b, lt) // '[' internal subset
      pos = (open >= 0 && open < gt ? find('>', find(']', open, 'DOCTYPE subset'), 'DOCTYPE') : gt) + 1
    } else if (startsAt(bytes, '</', lt)) {
      const gt = find('>', lt, 'end tag')
      const name = ascii(bytes, lt + 2, gt).trim()
      const open = stack.pop()
      if (open !== name) fail(lt, open === undefined ? `unexpected </${name}>` : `</${name}> closes <${open}>`)
      handler.onEnd?.(name, stack)
      if (stack.length === 0) rootDone = true
      pos = gt + 1
    } else {
      if (rootDone) fail(lt, 'a second root element')
      const tag = startTag(bytes, lt, fail)
      handler.onStart(tag.name, tag.attrs, stack)
      if (tag.selfClosing) {
        handler.onEnd?.(tag.name, stack)
        if (stack.length === 0) rootDone = true
      } else {
        if (stack.length >= MAX_DEPTH) fail(lt, `elements nested deeper than ${MAX_DEPTH}`)
        stack.push(tag.name)
      }
      pos = tag.end
    }
  }
  if (stack.length > 0) fail(bytes.length, `truncated: <${stack.at(-1)}> is never closed`)
  if (!rootDone) fail(bytes.length, 'no root element')
}

function startTag(
  bytes: Uint8Array,
  lt: number,
  fail: (at: number, why: string) => never,
): { name: string; attrs: Map<string, string>; selfClosing: boolean; end: number } {
  let i = lt + 1
  const name = NAME.exec(ascii(bytes, i, Math.min(bytes.length, i + 256)))?.[0]
  if (!name) fail(lt, 'expected an element name after "<"')
  i += name.length
  const attrs = new Map<string, string>()
  for (;;) {
    const spaced = i < bytes.length && isSpace(bytes[i]!)
    while (i < bytes.length && isSpace(bytes[i]!)) i++
    if (i >= bytes.length) fail(lt, `truncated: <${name}> tag is never closed`)
    if (bytes[i] === 0x3e) return { name, attrs, selfClosing: false, end: i + 1 }
    if (bytes[i] === 0x2f && bytes[i + 1] === 0x3e) return { name, attrs, selfClosing: true, end: i + 2 }
    if (!spaced) fail(i, `expected whitespace, ">" or "/>" in <${name}>`)
    const attr = NAME.exec(ascii(bytes, i, Math.min(bytes.length, i + 256)))?.[0]
    if (!attr) fail(i, `bad attribute in <${name}>`)
    i += attr.length
    while (i < bytes.length && isSpace(bytes[i]!)) i++
    if (bytes[i] !== 0x3d) fail(i, `expected "=" after ${attr}`)
    i++
    while (i < bytes.length && isSpace(bytes[i]!)) i++
    const quote = bytes[i]
    if (quote !== 0x22 && quote !== 0x27) fail(i, `attribute ${attr} value must be quoted`)
    const close = bytes.indexOf(quote, i + 1)
    if (close < 0) fail(i, `truncated: attribute ${attr} value is never closed`)
    const raw = decoder.decode(bytes.subarray(i + 1, close))
    if (raw.includes('<')) fail(i, `"<" in attribute ${attr}`)
    if (attrs.has(attr)) fail(i, `attribute ${attr} given twice`)
    attrs.set(attr, decodeEntities(raw, () => fail(i, `bad entity reference in attribute ${attr}`)))
    i = close + 1
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

function decodeEntities(s: string, fail: () => never): string {
  if (!s.includes('&')) return s
  return s.replace(/&([^;&\s]{0,10});?/g, (all, ref: string) => {
    if (!all.endsWith(';')) fail()
    if (ref in ENTITIES) return ENTITIES[ref]!
    const code = /^#x[0-9a-f]+$/i.test(ref) ? parseInt(ref.slice(2), 16) : /^#\d+$/.test(ref) ? Number(ref.slice(1)) : NaN
    if (!(code >= 1 && code <= 0x10ffff)) fail()
    return String.fromCodePoint(code)
  })
}

function indexOf(bytes: Uint8Array, seq: string, from: number): number {
  const first = seq.charCodeAt(0)
  for (let i = bytes.indexOf(first, from); i >= 0; i = bytes.indexOf(first, i + 1)) {
    if (startsAt(bytes, seq, i)) return i
  }
  return -1
}

function startsAt(bytes: Uint8Array, seq: string, at: number): boolean {
  if (at + seq.length > bytes.length) return false
  for (let k = 0; k < seq.length; k++) if (bytes[at + k] !== seq.charCodeAt(k)) return false
  return true
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  let s = ''
  for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]!)
  return s
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
}

function isBlank(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isSpace(bytes[i]!)) return false
  return true
}
