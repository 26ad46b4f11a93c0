/**
 * A reading's form as JSON (the form designer's "form" tab): a `basis` (the form itself) holding items, `subform`s
 * grouping items (optionally shown only when another item has a value: `showif`), and input items. Names are the
 * keys of the result values (and the CSV's columns). Pure: parsing, checks and the validation of filled-in values;
 * the DOM is form-render.ts.
 *
 *   { "type": "basis", "name": "stones", "items": [
 *       { "type": "radio", "name": "side", "label": "symptomatic side", "options": ["none", "right", "left"], "required": 1, "useastag": 1 },
 *       { "type": "markerset", "name": "stones", "label": "stones" } ] }
 */

export const ITEM_TYPES = ['basis', 'subform', 'markerpoint', 'markerset', 'radio', 'radiovert', 'rating', 'combo', 'checkbox', 'separator', 'text', 'number', 'slider'] as const
export type ItemType = (typeof ITEM_TYPES)[number]

export interface FormOption {
  value: string
  label: string
}

export interface FormItem {
  type: ItemType
  /** The value's key; every item but a separator (and a basis / subform, where it is optional) has one. */
  name?: string
  /** Shown text; the name when missing. */
  label?: string
  /** Explanation under the item. */
  hint?: string
  required?: boolean
  /** radio / radiovert / checkbox / combo: the chosen value also tags the study (the reading's tagging). */
  useastag?: boolean
  options?: FormOption[]
  min?: number
  max?: number
  step?: number
  default?: string | number | boolean
  /** text: several lines. */
  multiline?: boolean
  unit?: string
  /** subform / basis: the items inside. */
  items?: FormItem[]
  /** subform: shown only when the item `item` has the value `value` (or one of `values`). */
  showif?: { item: string; value?: string | number | boolean; values?: (string | number | boolean)[] }
}

export type MarkerValue = { label: string; position: [number, number, number] }[]
export type FormValue = string | number | boolean | null | MarkerValue
export type FormValues = Record<string, FormValue>

export class FormSpecError extends Error {}

const INPUTS: ItemType[] = ['markerpoint', 'markerset', 'radio', 'radiovert', 'rating', 'combo', 'checkbox', 'text', 'number', 'slider']
const CHOICES: ItemType[] = ['radio', 'radiovert', 'combo']
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true'
const num = (v: unknown, where: string): number | undefined => {
  if (v === undefined || v === null || v === '') return undefined
  const n = typeof v === 'number' ? v : Number(v)
  if (!Number.isFinite(n)) throw new FormSpecError(`${where}: ${JSON.stringify(v)} is not a number`)
  return n
}

/** The form from its parsed JSON: every item checked (known type, names unique and well formed, options). */
export function parseForm(raw: unknown): FormItem {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new FormSpecError('the form must be a JSON object { "type": "basis", "items": [...] }')
  const names = new Set<string>()
  const root = item(raw as Record<string, unknown>, 'form', names)
  if (root.type !== 'basis') throw new FormSpecError(`the form's outer object must have "type": "basis" (it has "${root.type}")`)
  for (const s of allItems(root)) if (s.showif && !names.has(s.showif.item)) throw new FormSpecError(`${s.name ?? 'subform'}: showif names "${s.showif.item}", which is no item of this form`)
  return root
}

function item(o: Record<string, unknown>, where: string, names: Set<string>): FormItem {
  const type = o.type
  if (typeof type !== 'string' || !(ITEM_TYPES as readonly string[]).includes(type)) throw new FormSpecError(`${where}: "type" must be one of ${ITEM_TYPES.join(', ')} (it is ${JSON.stringify(type)})`)
  const t = type as ItemType
  const here = typeof o.name === 'string' ? `${where} "${o.name}"` : where
  const out: FormItem = { type: t }
  if (o.name !== undefined) {
    if (typeof o.name !== 'string' || !NAME.test(o.name)) throw new FormSpecError(`${here}: "name" must start with a letter or _ and hold only letters, digits, _ . - (at most 64)`)
    out.name = o.name
  }
  if (INPUTS.includes(t)) {
    if (!out.name) throw new FormSpecError(`${where} (${t}): needs a "name"`)
    if (names.has(out.name)) throw new FormSpecError(`${here}: the name is used twice; every item needs its own`)
    names.add(out.name)
  }
  for (const k of ['label', 'hint', 'unit'] as const) if (o[k] !== undefined) out[k] = String(o[k])
  if (truthy(o.required)) out.required = true
  if (truthy(o.multiline)) out.multiline = true
  if (truthy(o.useastag)) {
    if (![...CHOICES, 'checkbox'].includes(t)) throw new FormSpecError(`${here}: useastag works on radio, radiovert, combo and checkbox items`)
    out.useastag = true
  }
  for (const k of ['min', 'max', 'step'] as const) {
    const n = num(o[k], `${here} ${k}`)
    if (n !== undefined) out[k] = n
  }
  if (o.default !== undefined && o.default !== null) {
    if (!['string', 'number', 'boolean'].includes(typeof o.default)) throw new FormSpecError(`${here}: "default" must be a string, number or boolean`)
    out.default = o.default as string | number | boolean
  }
  if (CHOICES.includes(t)) {
    if (!Array.isArray(o.options) || o.options.length === 0) throw new FormSpecError(`${here}: needs "options", e.g. ["no", "yes"] or [{"value": "r", "label": "right"}]`)
    out.options = o.options.map((x, n) => option(x, `${here} option ${n + 1}`))
  }
  if (t === 'rating' || t === 'slider' || t === 'number') {
    const min = out.min ?? (t === 'rating' ? 1 : t === 'slider' ? 0 : undefined)
    const max = out.max ?? (t === 'rating' ? 5 : t === 'slider' ? 100 : undefined)
    if (min !== undefined && max !== undefined && min > max) throw new FormSpecError(`${here}: min ${min} is above max ${max}`)
    if (t === 'rating' && max! - min! > 20) throw new FormSpecError(`${here}: a rating has at most 21 steps (use a slider for more)`)
    if (t !== 'number') {
      out.min = min
      out.max = max
    }
  }
  if (t === 'basis' || t === 'subform') {
    const items = o.items ?? []
    if (!Array.isArray(items)) throw new FormSpecError(`${here}: "items" must be a list`)
    out.items = items.map((x, n) => {
      if (!x || typeof x !== 'object' || Array.isArray(x)) throw new FormSpecError(`${here} item ${n + 1}: must be an object`)
      if ((x as { type?: unknown }).type === 'basis') throw new FormSpecError(`${here} item ${n + 1}: a basis is only the outer form; use a subform inside`)
      return item(x as Record<string, unknown>, `${here} item ${n + 1}`, names)
    })
    if (o.showif !== undefined) {
      const s = o.showif as Record<string, unknown>
      if (!s || typeof s !== 'object' || typeof s.item !== 'string') throw new FormSpecError(`${here}: showif must be {"item": "NAME", "value": ...}`)
      out.showif = { item: s.item, value: s.value as string, values: Array.isArray(s.values) ? (s.values as string[]) : undefined }
    }
  }
  return out
}

function option(x: unknown, where: string): FormOption {
  if (typeof x === 'string' || typeof x === 'number') return { value: String(x), label: String(x) }
  if (x && typeof x === 'object' && 'value' in x) {
    const o = x as { value: unknown; label?: unknown }
    return { value: String(o.value), label: o.label === undefined ? String(o.value) : String(o.label) }
  }
  throw new FormSpecError(`${where}: an option is a string or {"value": ..., "label": ...}`)
}

/** Every item of the form, depth first (the basis first). */
export function allItems(form: FormItem): FormItem[] {
  return [form, ...(form.items ?? []).flatMap(allItems)]
}

/** The items that carry values, in form order. */
export function inputItems(form: FormItem): FormItem[] {
  return allItems(form).filter((i) => INPUTS.includes(i.type))
}

/** Whether a subform is shown for these values. */
export function shown(item: FormItem, values: FormValues): boolean {
  if (!item.showif) return true
  const v = values[item.showif.item]
  const want = item.showif.values ?? (item.showif.value === undefined ? undefined : [item.showif.value])
  if (want === undefined) return v !== null && v !== undefined && v !== '' && v !== false
  return want.some((w) => String(w) === String(v))
}

export interface FieldError {
  name: string
  message: string
}

const empty = (v: FormValue | undefined) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)

/** The problems of filled-in values: required items left empty, numbers out of range, a markerpoint with more than one point. Items of hidden subforms are not checked. */
export function validate(form: FormItem, values: FormValues): FieldError[] {
  const errors: FieldError[] = []
  const walk = (it: FormItem) => {
    if ((it.type === 'subform' || it.type === 'basis') && !shown(it, values)) return
    for (const child of it.items ?? []) walk(child)
    if (!it.name || !INPUTS.includes(it.type)) return
    const v = values[it.name]
    const label = it.label ?? it.name
    if (it.required && (empty(v) || (it.type === 'checkbox' && v !== true)))
      return void errors.push({ name: it.name, message: it.type === 'markerpoint' || it.type === 'markerset' ? `${label}: place a point on the image` : it.type === 'checkbox' ? `${label}: must be checked` : `${label}: required` })
    if (empty(v)) return
    if (it.type === 'number' || it.type === 'slider' || it.type === 'rating') {
      if (typeof v !== 'number' || !Number.isFinite(v)) return void errors.push({ name: it.name, message: `${label}: not a number` })
      if (it.min !== undefined && v < it.min) errors.push({ name: it.name, message: `${label}: at least ${it.min}` })
      else if (it.max !== undefined && v > it.max) errors.push({ name: it.name, message: `${label}: at most ${it.max}` })
    }
    if (it.options && !it.options.some((o) => o.value === v)) errors.push({ name: it.name, message: `${label}: not one of the options` })
    if (it.type === 'markerpoint' && Array.isArray(v) && v.length > 1) errors.push({ name: it.name, message: `${label}: one point only (${v.length} placed)` })
  }
  walk(form)
  return errors
}

/** The values of the shown items only (hidden subforms' items are left out). */
export function visibleValues(form: FormItem, values: FormValues): FormValues {
  const out: FormValues = {}
  const walk = (it: FormItem) => {
    if ((it.type === 'subform' || it.type === 'basis') && !shown(it, values)) return
    for (const child of it.items ?? []) walk(child)
    if (it.name && INPUTS.includes(it.type) && values[it.name] !== undefined) out[it.name] = values[it.name]!
  }
  walk(form)
  return out
}
