/**
 * The form designer's template palette: a JSON snippet per item type (click: copied; the arrow: inserted at the
 * cursor of the form's JSON). Insertion adds the commas the neighbours need, so a snippet dropped between two items
 * (or after the last one) keeps the JSON valid. Pure text functions.
 */
import type { ItemType } from './form-spec'

const SNIPPETS: Record<ItemType, object> = {
  basis: { type: 'basis', name: 'myform', label: 'My reading form', items: [] },
  subform: { type: 'subform', name: 'details', label: 'details', showif: { item: 'finding', value: 'yes' }, items: [] },
  markerpoint: { type: 'markerpoint', name: 'location', label: 'location', required: 1 },
  markerset: { type: 'markerset', name: 'lesions', label: 'lesions' },
  radio: { type: 'radio', name: 'finding', label: 'finding', options: ['no', 'yes'], required: 1, useastag: 0 },
  radiovert: { type: 'radiovert', name: 'side', label: 'side', options: ['none', 'right', 'left', 'both'] },
  rating: { type: 'rating', name: 'confidence', label: 'confidence', min: 1, max: 5 },
  combo: { type: 'combo', name: 'grade', label: 'grade', options: ['I', 'II', 'III'] },
  checkbox: { type: 'checkbox', name: 'artefact', label: 'artefact' },
  separator: { type: 'separator', label: 'section' },
  text: { type: 'text', name: 'comments', label: 'comments', multiline: 1 },
  number: { type: 'number', name: 'size', label: 'size', unit: 'mm', min: 0, max: 500, step: 0.1 },
  slider: { type: 'slider', name: 'probability', label: 'probability', min: 0, max: 100, step: 1 },
}

/** The snippet of an item type, as text (a basis pretty-printed over lines, the items on one line). */
export function snippet(type: ItemType): string {
  const s = SNIPPETS[type]
  return type === 'basis' ? JSON.stringify(s, null, 2) : JSON.stringify(s)
}

const lastNonSpace = (text: string, before: number) => {
  for (let i = before - 1; i >= 0; i--) if (!/\s/.test(text[i]!)) return text[i]!
  return ''
}
const nextNonSpace = (text: string, from: number) => {
  for (let i = from; i < text.length; i++) if (!/\s/.test(text[i]!)) return text[i]!
  return ''
}

/**
 * `text` with `insert` put in place of the selection [start, end): a ',' before it when it follows a value, a ','
 * after it when a value follows. Answers the new text and the cursor after the snippet.
 */
export function insertSnippet(text: string, start: number, end: number, insert: string): { text: string; cursor: number } {
  const before = lastNonSpace(text, start)
  const after = nextNonSpace(text, end)
  const valueEnd = before === '}' || before === ']' || before === '"' || /[0-9el]/.test(before)
  const valueStart = after === '{' || after === '[' || after === '"' || /[-0-9tfn]/.test(after)
  const piece = `${valueEnd ? ', ' : ''}${insert}${valueStart ? ', ' : ''}`
  return { text: text.slice(0, start) + piece + text.slice(end), cursor: start + piece.length - (valueStart ? 2 : 0) }
}
