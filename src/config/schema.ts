/**
 * A small declarative validator for conf files. Every rule returns the value with its defaults filled,
 * or throws `ConfigProblem` naming the key path and saying what was expected and what was found.
 */
export class ConfigProblem extends Error {
  constructor(readonly path: string, readonly expected: string, readonly got: unknown, message?: string) {
    super(message ?? `${path}: expected ${expected}, got ${describe(got)}`)
  }
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return 'a list'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  return String(value)
}

export type Rule<T> = { parse(value: unknown, path: string): T; describe: string }

export function integer(min: number, max: number, fallback?: number): Rule<number> {
  const expected = `integer ${min}-${max}`
  return {
    describe: expected,
    parse(v, path) {
      if (v === undefined && fallback !== undefined) return fallback
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigProblem(path, expected, v)
      return v
    },
  }
}

export function string(fallback?: string, opts: { pattern?: RegExp; hint?: string } = {}): Rule<string> {
  const expected = opts.hint ?? 'string'
  return {
    describe: expected,
    parse(v, path) {
      if (v === undefined && fallback !== undefined) return fallback
      if (typeof v !== 'string' || (opts.pattern && !opts.pattern.test(v))) throw new ConfigProblem(path, expected, v)
      return v
    },
  }
}

/** An IP address (IPv4 or IPv6), or with `cidr` also a range such as "10.0.0.0/8" or "fd00::/8". */
export function ipAddress(opts: { cidr?: boolean } = {}): Rule<string> {
  const expected = opts.cidr ? 'an IP address or range (e.g. "192.0.2.10", "10.0.0.0/8", "::1")' : 'an IP address (e.g. "192.0.2.10", "::1")'
  return {
    describe: expected,
    parse(v, path) {
      if (typeof v !== 'string') throw new ConfigProblem(path, expected, v)
      const [host, bits, extra] = v.split('/')
      // node:net is loaded only when an address is checked (trustedProxies): importing it costs every CLI start ~50 ms.
      const { isIP } = require('node:net') as typeof import('node:net')
      const version = isIP(host ?? '')
      const maxBits = version === 6 ? 128 : 32
      const ok = version !== 0 && extra === undefined && (bits === undefined || (opts.cidr && /^\d{1,3}$/.test(bits) && Number(bits) <= maxBits))
      if (!ok) throw new ConfigProblem(path, expected, v)
      return v
    },
  }
}

export function boolean(fallback?: boolean): Rule<boolean> {
  return {
    describe: 'true or false',
    parse(v, path) {
      if (v === undefined && fallback !== undefined) return fallback
      if (typeof v !== 'boolean') throw new ConfigProblem(path, 'true or false', v)
      return v
    },
  }
}

export function oneOf<const T extends string>(values: readonly T[], fallback?: T): Rule<T> {
  const expected = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`
  return {
    describe: expected,
    parse(v, path) {
      if (v === undefined && fallback !== undefined) return fallback
      if (typeof v !== 'string' || !values.includes(v as T)) throw new ConfigProblem(path, expected, v)
      return v as T
    },
  }
}

export function listOf<T>(item: Rule<T>, fallback: T[] = []): Rule<T[]> {
  return {
    describe: `list of ${item.describe}`,
    parse(v, path) {
      if (v === undefined) return fallback
      if (!Array.isArray(v)) throw new ConfigProblem(path, `a list of ${item.describe}`, v)
      return v.map((x, i) => item.parse(x, `${path}[${i}]`))
    },
  }
}

type Shape = Record<string, Rule<unknown>>
type Parsed<S extends Shape> = { [K in keyof S]: S[K] extends Rule<infer T> ? T : never }

/** An object with known keys only: an unknown key is a mistake (usually a typo) and is reported. */
export function object<S extends Shape>(shape: S): Rule<Parsed<S>> {
  return {
    describe: 'an object',
    parse(v, path) {
      const value = v === undefined ? {} : v
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigProblem(path, 'an object', v)
      const prefix = path ? `${path}.` : ''
      for (const key of Object.keys(value)) {
        if (!(key in shape)) {
          const known = Object.keys(shape).join(', ')
          throw new ConfigProblem(`${prefix}${key}`, known, key, `${prefix}${key}: unknown key; known keys here: ${known}`)
        }
      }
      const out: Record<string, unknown> = {}
      for (const [key, rule] of Object.entries(shape)) out[key] = rule.parse((value as Record<string, unknown>)[key], `${prefix}${key}`)
      return out as Parsed<S>
    },
  }
}

/** A map from free names to values of one rule (e.g. PACS nodes by name). */
export function recordOf<T>(item: Rule<T>): Rule<Record<string, T>> {
  return {
    describe: `an object of ${item.describe}`,
    parse(v, path) {
      if (v === undefined) return {}
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigProblem(path, 'an object', v)
      const out: Record<string, T> = {}
      for (const [k, x] of Object.entries(v)) out[k] = item.parse(x, `${path}.${k}`)
      return out
    },
  }
}
