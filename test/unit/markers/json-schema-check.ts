/**
 * The part of JSON Schema draft-07 that Slicer's markups schema uses (type, required, enum, properties, items,
 * minItems/maxItems, anyOf, additionalProperties: true), applied to a document: the list of violations (empty when
 * it validates). Written for the tests because python3's jsonschema is not installed on the test machines; a keyword
 * it does not know fails loudly so a schema that needs more is not half-checked.
 */
type Schema = Record<string, unknown>

const KNOWN = new Set(['$schema', '$id', 'type', 'title', 'description', 'default', 'examples', 'required', 'enum', 'properties', 'items', 'additionalItems', 'additionalProperties', 'minItems', 'maxItems', 'anyOf', 'minimum', 'maximum'])

function typeOk(v: unknown, t: string): boolean {
  if (t === 'object') return typeof v === 'object' && v !== null && !Array.isArray(v)
  if (t === 'array') return Array.isArray(v)
  if (t === 'string') return typeof v === 'string'
  if (t === 'number') return typeof v === 'number' && Number.isFinite(v)
  if (t === 'integer') return Number.isInteger(v)
  if (t === 'boolean') return typeof v === 'boolean'
  if (t === 'null') return v === null
  throw new Error(`schema type ${t} not handled`)
}

export function validate(schema: Schema, v: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`schema keyword ${k} at ${path} not handled by the test's checker`)
  const errors: string[] = []
  if (schema.anyOf) {
    const branches = (schema.anyOf as Schema[]).map((s) => validate(s, v, path))
    if (!branches.some((b) => b.length === 0)) errors.push(`${path}: matches none of anyOf (${branches.map((b) => b[0]).join(' | ')})`)
  }
  if (typeof schema.type === 'string' && !typeOk(v, schema.type)) return [...errors, `${path}: expected ${schema.type}, got ${JSON.stringify(v)}`]
  if (schema.enum && !(schema.enum as unknown[]).some((e) => e === v)) errors.push(`${path}: ${JSON.stringify(v)} not in ${JSON.stringify(schema.enum)}`)
  if (typeof schema.minimum === 'number' && typeof v === 'number' && v < schema.minimum) errors.push(`${path}: below ${schema.minimum}`)
  if (typeof schema.maximum === 'number' && typeof v === 'number' && v > schema.maximum) errors.push(`${path}: above ${schema.maximum}`)
  if (typeOk(v, 'object')) {
    const o = v as Record<string, unknown>
    for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in o)) errors.push(`${path}: required ${r} missing`)
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {}
    for (const [k, sub] of Object.entries(props)) if (k in o) errors.push(...validate(sub, o[k], `${path}.${k}`))
    if (schema.additionalProperties === false) for (const k of Object.keys(o)) if (!(k in props)) errors.push(`${path}: property ${k} not allowed`)
  }
  if (Array.isArray(v)) {
    if (typeof schema.minItems === 'number' && v.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`)
    if (typeof schema.maxItems === 'number' && v.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`)
    if (schema.items && !Array.isArray(schema.items)) v.forEach((x, i) => errors.push(...validate(schema.items as Schema, x, `${path}[${i}]`)))
  }
  return errors
}
