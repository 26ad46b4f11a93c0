import { UsageError } from '../core/errors'

/**
 * A reading's form on the server: the same JSON as the form designer's (src/web/viewer/reading/form-spec.ts, which
 * the browser bundle keeps for itself): a `basis` holding items; `subform`s group items; input items have a `name`
 * (the key of the result's values and the CSV's column). Checked here with the JSON path of what is wrong, and used
 * to check submitted values and to find the `useastag` items.
 *
 *   { "type": "basis", "items": [
 *       { "type": "radio", "name": "side", "options": ["none", "right", "left"], "useastag": 1 },
 *       { "type": "markerset", "name": "stones" } ] }
 */

export const ITEM_TYPES = ['basis', 'subform', 'markerpoint', 'markerset', 'radio', 'radiovert', 'rating', 'combo', 'checkbox', 'separator', 'text', 'number', 'slider'] as const
export type ItemType = (typeof ITEM_TYPES)[number]

export const INPUT_TYPES: readonly ItemType[] = ['markerpoint', 'markerset', 'radio', 'radiovert', 'rating', 'combo', 'checkbox', 'text', 'number', 'slider']
const CHOICES: readonly ItemType[] = ['radio', 'radiovert', 'combo']
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/

export interface FormInput {
  type: ItemType
  name: string
  options?: string[]
  min?: number
  max?: number
  required: boolean
  useastag: boolean
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true'
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function fail(path: string, what: string): never {
  throw new UsageError(`${path}: ${what}`)
}

/** The input items of a form, in form order; UsageError naming the JSON path (`form.items[2].options`) of a fault. */
export function formInputs(form: unknown, path = 'form'): FormInput[] {
  if (!isObject(form)) fail(path, 'must be an object {"type": "basis", "items": [...]}')
  if (form.type !== 'basis') fail(`${path}.type`, `the outer object must be "basis" (it is ${JSON.stringify(form.type)})`)
  const out: FormInput[] = []
  const names = new Set<string>()
  const walk = (o: Record<string, unknown>, p: string) => {
    const type = o.type
    if (typeof type !== 'string' || !(ITEM_TYPES as readonly string[]).includes(type)) fail(`${p}.type`, `must be one of ${ITEM_TYPES.join(', ')} (it is ${JSON.stringify(type)})`)
    const t = type as ItemType
    if (o.name !== undefined && (typeof o.name !== 'string' || !NAME.test(o.name))) fail(`${p}.name`, 'must start with a letter or _ and hold only letters, digits, _ . - (at most 64)')
    if (truthy(o.useastag) && !(CHOICES.includes(t) || t === 'checkbox')) fail(`${p}.useastag`, 'works on radio, radiovert, combo and checkbox items')
    if (t === 'basis' || t === 'subform') {
      const items = o.items ?? []
      if (!Array.isArray(items)) fail(`${p}.items`, 'must be a list')
      items.forEach((x, i) => {
        if (!isObject(x)) fail(`${p}.items[${i}]`, 'must be an object')
        if (x.type === 'basis') fail(`${p}.items[${i}].type`, 'a basis is only the outer form; use a subform inside')
        walk(x, `${p}.items[${i}]`)
      })
      return
    }
    if (!INPUT_TYPES.includes(t)) return
    if (typeof o.name !== 'string') fail(`${p}.name`, `a ${t} needs a name`)
    if (names.has(o.name)) fail(`${p}.name`, `"${o.name}" is used twice; every item needs its own name`)
    names.add(o.name)
    const input: FormInput = { type: t, name: o.name, required: truthy(o.required), useastag: truthy(o.useastag) }
    if (CHOICES.includes(t)) {
      if (!Array.isArray(o.options) || o.options.length === 0) fail(`${p}.options`, 'needs options, e.g. ["no", "yes"] or [{"value": "r", "label": "right"}]')
      input.options = o.options.map((x, i) => {
        if (typeof x === 'string' || typeof x === 'number') return String(x)
        if (isObject(x) && 'value' in x) return String(x.value)
        fail(`${p}.options[${i}]`, 'an option is a string or {"value": ..., "label": ...}')
      })
    }
    for (const k of ['min', 'max'] as const) {
      if (o[k] === undefined || o[k] === null || o[k] === '') continue
      const n = Number(o[k])
      if (!Number.isFinite(n)) fail(`${p}.${k}`, `${JSON.stringify(o[k])} is not a number`)
      input[k] = n
    }
    if (t === 'rating') {
      input.min ??= 1
      input.max ??= 5
    }
    if (t === 'slider') {
      input.min ??= 0
      input.max ??= 100
    }
    if (input.min !== undefined && input.max !== undefined && input.min > input.max) fail(`${p}.min`, `min ${input.min} is above max ${input.max}`)
    out.push(input)
  }
  walk(form, path)
  return out
}

const empty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)

/**
 * Submitted values checked against the form: only the form's names, each of its item's kind (choices among the
 * options, numbers within min/max, markers as lists of points). Required items are the browser's to enforce (a
 * hidden subform's items may be empty); what is stored is what was checked.
 */
export function checkValues(inputs: readonly FormInput[], values: unknown): Record<string, unknown> {
  if (values === undefined || values === null) values = {}
  if (!isObject(values)) fail('values', 'must be an object of item name -> value')
  const byName = new Map(inputs.map((i) => [i.name, i]))
  const out: Record<string, unknown> = {}
  for (const [name, v] of Object.entries(values)) {
    const it = byName.get(name)
    if (!it) fail(`values.${name}`, 'is no item of this reading\'s form')
    if (empty(v)) {
      out[name] = v === undefined ? null : v
      continue
    }
    const where = `values.${name}`
    switch (it.type) {
      case 'number':
      case 'slider':
      case 'rating': {
        const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN
        if (!Number.isFinite(n)) fail(where, `${JSON.stringify(v)} is not a number`)
        if (it.min !== undefined && n < it.min) fail(where, `${n} is below the minimum ${it.min}`)
        if (it.max !== undefined && n > it.max) fail(where, `${n} is above the maximum ${it.max}`)
        out[name] = n
        break
      }
      case 'checkbox':
        out[name] = truthy(v)
        break
      case 'radio':
      case 'radiovert':
      case 'combo':
        if (!it.options!.includes(String(v))) fail(where, `${JSON.stringify(v)} is not one of ${it.options!.map((o) => JSON.stringify(o)).join(', ')}`)
        out[name] = String(v)
        break
      case 'text':
        if (typeof v !== 'string' && typeof v !== 'number') fail(where, 'must be text')
        if (String(v).length > 10_000) fail(where, 'at most 10000 characters')
        out[name] = String(v)
        break
      case 'markerpoint':
      case 'markerset': {
        if (!Array.isArray(v) || v.length > 10_000) fail(where, 'must be a list of points [{"label", "position": [x, y, z]}]')
        if (it.type === 'markerpoint' && v.length > 1) fail(where, `one point only (${v.length} sent)`)
        out[name] = v.map((pt, i) => {
          const pos = isObject(pt) ? pt.position : undefined
          if (!Array.isArray(pos) || pos.length !== 3 || !pos.every((x) => typeof x === 'number' && Number.isFinite(x))) fail(`${where}[${i}].position`, 'must be [x, y, z] in mm')
          return { label: isObject(pt) && pt.label !== undefined ? String(pt.label).slice(0, 200) : `p${i + 1}`, position: pos as number[] }
        })
        break
      }
      default:
        out[name] = v
    }
  }
  return out
}

/** How a value appears in a CSV cell: text as is, numbers and booleans as written, markers as JSON. */
export function cellOf(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}
