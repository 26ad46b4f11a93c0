import { UsageError } from '../core/errors'
import { optionNamed, type ParsedArgs } from './args'
import { COMMANDS, FAMILIES, GLOBAL_OPTIONS, type CommandSpec } from './spec'

/** The words of a command's name (`pacs pull` -> pacs, pull; `--admin adduser` -> adduser). */
export const wordsOf = (spec: { name: string }) => spec.name.split(' ').filter((w) => !w.startsWith('--'))

/** An entry of `options`: its names, whether one of them is required. */
export const optionEntry = (entry: string) => ({ names: entry.replace(/!$/, '').split('|'), required: entry.endsWith('!') })

/** Every option a command reads: its own, the ones that select it, -p, and the global ones. */
export function allowedOptions(spec: CommandSpec): Set<string> {
  return new Set([...GLOBAL_OPTIONS, ...(spec.by ?? []), ...(spec.project ? ['project'] : []), ...(spec.options ?? []).flatMap((e) => optionEntry(e).names)])
}

/** What a command line asks for. */
export type Resolved =
  | { kind: 'command'; spec: CommandSpec }
  /** `nora pacs`, `nora --admin` without a subcommand: the overview. */
  | { kind: 'family'; family: string }
  /** `nora`, `nora --help`: the main help. */
  | { kind: 'main' }

/**
 * Finds the command a command line means: `--admin SUB`; else the subcommand named by the first word (`init`,
 * `pacs pull`); else the first flag command (in COMMANDS' order) whose selecting option is given. Throws a
 * UsageError for an unknown command or subcommand, unless --help was asked for.
 */
export function resolveCommand(args: ParsedArgs): Resolved {
  const [first, second] = args.positional
  const help = args.options.has('help')
  if (args.options.has('admin')) {
    if (!first) return { kind: 'family', family: '--admin' }
    const spec = COMMANDS.find((c) => c.name === `--admin ${first}`)
    if (spec) return { kind: 'command', spec }
    throw new UsageError(`unknown admin command "${first}"; nora --admin --help lists them`)
  }
  if (first !== undefined) {
    if (FAMILIES.some((f) => f.name === first)) {
      if (second === undefined) return { kind: 'family', family: first }
      const spec = COMMANDS.find((c) => c.name === `${first} ${second}`)
      if (spec) return { kind: 'command', spec }
      const subs = COMMANDS.filter((c) => wordsOf(c)[0] === first).map((c) => wordsOf(c)[1])
      throw new UsageError(`nora ${first} ${second}: unknown; use ${subs.join(', ')} (nora ${first} --help)`)
    }
    const spec = COMMANDS.find((c) => !c.by && c.name === first)
    if (spec) return { kind: 'command', spec }
  }
  const byFlag = COMMANDS.find((c) => c.group !== 'admin' && c.by?.some((o) => args.options.has(o)))
  if (byFlag) return { kind: 'command', spec: byFlag }
  if (first !== undefined && !help) throw new UsageError(`unknown command "${first}"; nora --help lists the commands`)
  return { kind: 'main' }
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many)
const quoted = (words: string[]) => words.map((w) => `"${w}"`).join(' ')

/**
 * Refuses what `spec` does not take: options it does not read (and unknown ones), missing or extra positional
 * words, a word outside its choices, two options that exclude each other, a missing required option. The message
 * names what was wrong and ends with the command's usage line.
 */
export function checkArgs(spec: CommandSpec, args: ParsedArgs, usage: string): void {
  const fail = (what: string): never => {
    throw new UsageError(`${what}\nusage: ${usage}`)
  }
  const name = spec.name
  if (args.problems?.length) fail(args.problems.join('; '))
  const allowed = allowedOptions(spec)
  const foreign = [...args.options.keys()].filter((o) => !allowed.has(o))
  if (foreign.length) fail(`${foreign.map((o) => `--${o}`).join(', ')} ${plural(foreign.length, 'does', 'do')} not go with ${name}`)
  for (const entry of spec.options ?? []) {
    const { names, required } = optionEntry(entry)
    const given = names.filter((n) => args.options.has(n))
    if (given.length > 1) fail(`give ${given.map((o) => `--${o}`).join(' or ')}, not both`)
    if (required && !given.length) fail(`${name} needs ${names.map((o) => `--${o} ${optionNamed.get(o)?.value ?? ''}`.trim()).join(' or ')}`)
  }
  const words = args.positional.slice(wordsOf(spec).length)
  const slots = spec.args ?? []
  let i = 0
  for (const slot of slots) {
    const optional = slot.startsWith('[')
    const bare = slot.replace(/^\[|\]$/g, '')
    const rest = bare.endsWith('...')
    const label = bare.replace(/\.\.\.$/, '')
    const taken = rest ? words.slice(i) : words.slice(i, i + 1)
    if (!taken.length && !optional) fail(`missing ${slots.slice(slots.indexOf(slot)).filter((s) => !s.startsWith('[')).join(', ')}`)
    if (label.includes('|') && !/[A-Z]/.test(label)) {
      const choices = label.split('|')
      for (const w of taken) if (!choices.includes(w)) fail(`"${w}" is not one of ${choices.join(', ')}`)
    }
    i += taken.length
  }
  const extra = words.slice(i)
  if (extra.length) fail(`unexpected ${plural(extra.length, 'argument', 'arguments')} ${quoted(extra)}${slots.length ? '' : ` (${name} takes none)`}`)
}
