import { UsageError } from '../core/errors'

/** How many values an option takes: 0 (a flag), 1, or 'many' (until the next option). */
type Arity = 0 | 1 | 'many'
interface OptionSpec {
  name: string
  short?: string[]
  arity: Arity
}

/** The seed's options with their short forms (`+j` is the seed's short form of --json). */
export const OPTIONS: OptionSpec[] = [
  { name: 'project', short: ['-p'], arity: 1 },
  { name: 'add', short: ['-a'], arity: 'many' },
  { name: 'del', short: ['-d'], arity: 'many' },
  { name: 'del_pat', short: ['-dp'], arity: 'many' },
  { name: 'select', short: ['-s'], arity: 1 },
  { name: 'out', short: ['-o'], arity: 1 },
  { name: 'pathout', short: ['-pa'], arity: 1 },
  { name: 'addtag', arity: 1 },
  { name: 'rmtag', arity: 1 },
  { name: 'sql', short: ['-q'], arity: 1 },
  { name: 'createproject', short: ['-c'], arity: 1 },
  { name: 'admin', arity: 0 },
  { name: 'json', short: ['+j', '-j'], arity: 0 },
  { name: 'byfilename', arity: 0 },
  { name: 'csv', arity: 0 },
  { name: 'write', arity: 0 },
  { name: 'psid', arity: 1 },
  { name: 'home', arity: 1 },
  { name: 'user', arity: 1 },
  { name: 'help', short: ['-h'], arity: 0 },
  { name: 'version', short: ['-v'], arity: 0 },
  { name: 'foreground', arity: 0 },
  { name: 'timeout', arity: 1 },
  { name: 'password', arity: 1 },
  { name: 'site-admin', arity: 0 },
  { name: 'name', arity: 1 },
  { name: 'import', arity: 1 },
  { name: 'run-import', arity: 1 },
  { name: 'patients_id', arity: 1 },
  { name: 'studies_id', arity: 1 },
  { name: 'pattern', arity: 1 },
  { name: 'extrafiles_filter', arity: 1 },
  { name: 'autoexec_queue', arity: 1 },
  { name: 'autoexec', arity: 1 },
  { name: 'launch_autoexec', arity: 1 },
  { name: 'handle_job_result', arity: 0 },
  { name: 'policy', arity: 1 },
  { name: 'pseudonyms', arity: 0 },
  { name: 'naming', arity: 1 },
  { name: 'keepdicom', arity: 1 },
  { name: 'filter', arity: 1 },
  { name: 'level', arity: 1 },
  { name: 'key', short: ['-k'], arity: 1 },
  { name: 'launch', short: ['-l'], arity: 1 },
  { name: 'launchfile', arity: 1 },
  { name: 'select-studies', arity: 1 },
  { name: 'throwerror', arity: 0 },
  { name: 'state', arity: 1 },
  { name: 'kill', arity: 1 },
  { name: 'suspend', arity: 1 },
  { name: 'resume', arity: 1 },
  { name: 'rerun-errors', arity: 1 },
  { name: 'study', arity: 1 },
  { name: 'from-file', arity: 1 },
  { name: 'series', arity: 1 },
]

export interface ParsedArgs {
  /** Words that are not options or their values (a subcommand and its arguments). */
  positional: string[]
  options: Map<string, string[]>
}

const byToken = new Map<string, OptionSpec>()
for (const o of OPTIONS) {
  byToken.set(`--${o.name}`, o)
  for (const s of o.short ?? []) byToken.set(s, o)
}

const isOption = (token: string) => byToken.has(token) || /^--?[A-Za-z]/.test(token)

/** Parses argv. `--opt=value` works too. A word after `--` is always positional. */
export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = []
  const options = new Map<string, string[]>()
  for (let i = 0; i < argv.length; i++) {
    let token = argv[i]!
    if (token === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    let inline: string | undefined
    const eq = token.indexOf('=')
    if (token.startsWith('--') && eq > 2) {
      inline = token.slice(eq + 1)
      token = token.slice(0, eq)
    }
    const spec = byToken.get(token)
    if (!spec) {
      if (isOption(token) && !/^-\d/.test(token)) throw new UsageError(`unknown option ${token}; nora --help lists them`)
      positional.push(token)
      continue
    }
    const values = options.get(spec.name) ?? []
    if (spec.arity === 0) {
      if (inline !== undefined) throw new UsageError(`--${spec.name} takes no value`)
    } else if (inline !== undefined) {
      values.push(inline)
    } else if (spec.arity === 1) {
      const v = argv[i + 1]
      if (v === undefined) throw new UsageError(`${token} needs a value`)
      values.push(v)
      i++
    } else {
      while (i + 1 < argv.length && !byToken.has(argv[i + 1]!)) values.push(argv[++i]!)
      if (values.length === 0) throw new UsageError(`${token} needs at least one value`)
    }
    options.set(spec.name, values)
  }
  return { positional, options }
}

export const has = (a: ParsedArgs, name: string) => a.options.has(name)
export const one = (a: ParsedArgs, name: string): string | undefined => a.options.get(name)?.at(-1)
export const many = (a: ParsedArgs, name: string): string[] => a.options.get(name) ?? []
export const tagsOf = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
