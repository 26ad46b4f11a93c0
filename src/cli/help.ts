import { OPTIONS, optionNamed } from './args'
import { optionEntry, wordsOf } from './check-args'
import { COMMANDS, FAMILIES, GLOBAL_OPTIONS, type CommandSpec, type Group } from './spec'

// Every help text is made from the command descriptions of spec.ts, the same ones the parser checks against.

const GROUPS: [Group, string][] = [
  ['server', 'SERVER'],
  ['project', 'PROJECTS'],
  ['jobs', 'JOBS'],
  ['pacs', 'PACS'],
  ['roi', 'ROIS'],
  ['transform', 'TRANSFORMS'],
  ['markers', 'MARKERS'],
  ['admin', 'ADMINISTRATION'],
]

const IDENTITY = `IDENTITY
  The CLI acts as the nora user named like your login. Root and the account nora serves as (the owner of the
  data root) may name another with --user NAME or NORA_USER, and are site admin otherwise. Inside a batch job,
  nora acts with the run's token: the launching user's rights on that project only.`

/** `--study UID...`, `--json`, `-p PROJECT`. */
function optionUsage(name: string): string {
  const o = optionNamed.get(name)
  const flag = name === 'project' ? '-p' : `--${name}`
  if (!o || o.arity === 0) return flag
  return `${flag} ${o.value ?? 'VALUE'}${o.arity === 'many' ? '...' : ''}`
}

/**
 * The usage line of a command, e.g. `nora -p PROJECT pacs pull NODE [--study UID...] [--from-file FILE]`; `brief`
 * shows its optional options as `[OPTIONS]` when the whole line would be long (the main help).
 */
export function synopsis(spec: CommandSpec, brief = false): string {
  const own = new Set((spec.options ?? []).flatMap((e) => optionEntry(e).names))
  const parts = ['nora']
  if (spec.project) parts.push(optionUsage('project'))
  for (const token of spec.name.split(' ')) {
    if (!token.startsWith('--')) parts.push(token)
    else if (!own.has(token.slice(2))) parts.push(optionUsage(token.slice(2)))
  }
  parts.push(...(spec.args ?? []))
  const optional: string[] = []
  const optionalFlags: string[] = []
  for (const entry of spec.options ?? []) {
    const { names, required } = optionEntry(entry)
    const text = names.map(optionUsage).join(' | ')
    const repeat = names.length === 1 && optionNamed.get(names[0]!)?.repeat ? '...' : ''
    if (required) parts.push(names.length > 1 ? `(${text})` : text)
    else {
      optional.push(`[${text}]${repeat}`)
      optionalFlags.push(`[${names.map((n) => `--${n}`).join(' | ')}]`)
    }
  }
  const full = [...parts, ...optional].join(' ')
  if (!brief || full.length <= 72) return full
  const flags = [...parts, ...optionalFlags].join(' ') // nora -p PROJECT [--policy] [--naming] ...
  return flags.length <= 72 ? flags : `${parts.join(' ')} [OPTIONS]`
}

const WIDTH = 40

/** `  SYNOPSIS   summary`, the summary on its own line when the synopsis is long. */
function row(left: string, summary: string): string {
  const l = `  ${left}`
  return l.length <= WIDTH - 2 ? `${l.padEnd(WIDTH)}${summary}` : `${l}\n${' '.repeat(WIDTH)}${summary}`
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')

const visible = (group: Group) => COMMANDS.filter((c) => c.group === group)

/** `nora COMMAND --help`. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [synopsis(spec), indent(spec.summary)]
  if (spec.details) lines.push(indent(spec.details))
  const names = [...new Set(['project', ...(spec.by ?? []), ...(spec.options ?? []).flatMap((e) => optionEntry(e).names)])]
  const shorts = names
    .filter((n) => (n !== 'project' || spec.project || spec.options?.includes('project')) && optionNamed.get(n)?.short)
    .map((n) => `${optionNamed.get(n)!.short!.join(' ')} = --${n}`)
  if (shorts.length) lines.push(indent(`short forms: ${shorts.join(', ')}`))
  lines.push(indent(`every command also takes ${GLOBAL_OPTIONS.map(optionUsage).join(', ')}`))
  return lines.join('\n')
}

/** `nora pacs --help`, `nora --admin --help`: the family's subcommands. */
export function familyHelp(name: string): string {
  const family = FAMILIES.find((f) => f.name === name)!
  const members = COMMANDS.filter((c) => c.name.startsWith(`${name} `))
  const head = name === '--admin' ? 'nora --admin COMMAND ...' : `nora ${name} COMMAND ...`
  const example = members.find((c) => c.args?.length) ?? members[0]!
  return [`${head}   ${family.summary}`, '', ...members.map((c) => row(synopsis(c), c.summary)), '', `Each has --help: nora ${example.name} --help.`].join('\n')
}

/** `nora --help`. */
export function mainHelp(): string {
  const lines = [
    'nora: medical imaging research platform',
    '',
    `usage: nora COMMAND ...    every command takes ${GLOBAL_OPTIONS.map(optionUsage).join(', ')}`,
    '                           (--home or NORA_HOME: the folder with conf/ and data/)',
  ]
  for (const [group, title] of GROUPS) {
    lines.push('', title)
    const family = FAMILIES.find((f) => COMMANDS.some((c) => c.group === group && c.name.startsWith(`${f.name} `)))
    if (family) {
      const subs = visible(group).map((c) => wordsOf(c).at(-1))
      lines.push(row(`nora ${family.name} ${subs.join('|')} ...`, `${family.summary}; nora ${family.name} --help`))
    } else for (const c of visible(group)) lines.push(row(synopsis(c, true), c.summary))
  }
  lines.push('', IDENTITY, '', 'Each command has --help: nora init --help, nora -p P --import --help, nora pacs pull --help.')
  return lines.join('\n')
}

/** Option names that no command takes (a unit test keeps this empty). */
export const unusedOptions = () => {
  const used = new Set([...GLOBAL_OPTIONS, ...COMMANDS.flatMap((c) => [...(c.by ?? []), ...(c.project ? ['project'] : []), ...(c.options ?? []).flatMap((e) => optionEntry(e).names)])])
  return OPTIONS.map((o) => o.name).filter((n) => !used.has(n))
}
