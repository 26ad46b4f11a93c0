import { describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { OPTIONS, parseArgs, type ParsedArgs } from '../../../src/cli/args'
import { allowedOptions, checkArgs, resolveCommand, wordsOf } from '../../../src/cli/check-args'
import { errorLine } from '../../../src/cli/error-line'
import { commandHelp, familyHelp, mainHelp, synopsis, unusedOptions } from '../../../src/cli/help'
import { COMMANDS, type CommandSpec } from '../../../src/cli/spec'
import { UsageError } from '../../../src/core/errors'

const opts = (a: ParsedArgs) => Object.fromEntries(a.options)
const spec = (name: string) => COMMANDS.find((c) => c.name === name)!
/** The command a command line resolves to, checked; returns the UsageError's message or 'ok'. */
function verdict(argv: string[]): string {
  const a = parseArgs(argv)
  try {
    const r = resolveCommand(a)
    if (r.kind !== 'command') return r.kind
    checkArgs(r.spec, a, synopsis(r.spec))
    return `ok ${r.spec.name}`
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    return e.message
  }
}

describe('parseArgs', () => {
  test('long, short and --opt=value forms; words after -- are positional', () => {
    const a = parseArgs(['-p', 'P', '--select=a/*.nii', '+j', '--', '--json', 'x'])
    expect(opts(a)).toEqual({ project: ['P'], select: ['a/*.nii'], json: [] })
    expect(a.positional).toEqual(['--json', 'x'])
    expect(a.problems).toEqual([])
  })

  test('a many-valued option takes every word up to the next option (the issue: --study A B C pulled only A)', () => {
    const a = parseArgs(['-p', 'P', 'pacs', 'pull', 'NODE', '--study', '1.2.3', '1.2.4', '1.2.5'])
    expect(a.positional).toEqual(['pacs', 'pull', 'NODE'])
    expect(opts(a).study).toEqual(['1.2.3', '1.2.4', '1.2.5'])
    expect(opts(parseArgs(['--series', 'A', 'B', '--study', 'S'])).series).toEqual(['A', 'B'])
    expect(opts(parseArgs(['-a', 'f1', 'f2', '--addtag', 't'])).add).toEqual(['f1', 'f2'])
    // Given twice, the values add up.
    expect(opts(parseArgs(['--study', 'A', '--study', 'B', 'C'])).study).toEqual(['A', 'B', 'C'])
  })

  test('a many-valued option stops at an unknown option and reports it, instead of taking it as a value', () => {
    const a = parseArgs(['-a', 'f1', '--frob', 'f2'])
    expect(opts(a).add).toEqual(['f1'])
    expect(a.problems).toEqual(['unknown option --frob'])
    expect(a.positional).toEqual(['f2'])
  })

  test('a value that looks like an option is not taken (the issue: --import --help imported a path "--help")', () => {
    const a = parseArgs(['-p', 'P', '--import', '--help'])
    expect(opts(a)).toEqual({ project: ['P'], import: [], help: [] })
    expect(a.problems).toEqual(['--import needs a value (SRC)'])
    expect(parseArgs(['--sql']).problems).toEqual(['--sql needs a value (STATEMENT)'])
    expect(parseArgs(['--add', '--json']).problems).toEqual(['--add needs at least one value (FILE...)'])
    // Such a value goes with =; a negative number or a plain dash is a value.
    expect(opts(parseArgs(['--import=--odd-name'])).import).toEqual(['--odd-name'])
    expect(opts(parseArgs(['--timeout', '-5'])).timeout).toEqual(['-5'])
    expect(opts(parseArgs(['--import', '-'])).import).toEqual(['-'])
  })

  test('unknown options are reported by name, never kept as words', () => {
    const a = parseArgs(['init', '--frob', '-x', '--frob=1'])
    expect(a.positional).toEqual(['init'])
    expect(a.problems).toEqual(['unknown option --frob', 'unknown option -x'])
  })

  test('a one-value option given twice with different values is refused; the same value twice is harmless; -k repeats', () => {
    expect(parseArgs(['-p', 'A', '--project', 'B']).problems).toEqual(['--project given twice ("A", "B"): give it once'])
    expect(parseArgs(['-p', 'A', '-p', 'A']).problems).toEqual([])
    const k = parseArgs(['-k', 'PatientID=1', '-k', 'StudyDate=2001'])
    expect(k.problems).toEqual([])
    expect(opts(k).key).toEqual(['PatientID=1', 'StudyDate=2001'])
  })

  test('a flag given a value is refused', () => {
    expect(parseArgs(['--json=yes']).problems).toEqual(['--json takes no value'])
  })
})

describe('resolveCommand', () => {
  const name = (argv: string[]) => {
    const r = resolveCommand(parseArgs(argv))
    return r.kind === 'command' ? r.spec.name : r.kind === 'family' ? `family ${r.family}` : 'main'
  }
  test('subcommands by their words, families without a subcommand, flag commands by their option', () => {
    expect(name(['init'])).toBe('init')
    expect(name(['test', 'db'])).toBe('test')
    expect(name(['pacs'])).toBe('family pacs')
    expect(name(['pacs', 'pull', 'N'])).toBe('pacs pull')
    expect(name(['--admin'])).toBe('family --admin')
    expect(name(['--admin', 'grant', 'a', 'P', 'read'])).toBe('--admin grant')
    expect(name(['-p', 'P', '--import', 'x'])).toBe('--import')
    expect(name(['--version'])).toBe('--version')
    expect(name([])).toBe('main')
    expect(name(['--help'])).toBe('main')
  })
  test('options that belong together select one command: --add with --addtag, --select with --addtag, --createproject with --dates', () => {
    expect(name(['-p', 'P', '-a', 'f', '--addtag', 't'])).toBe('--add')
    expect(name(['-p', 'P', '--addtag', 't', '-s', '*'])).toBe('--addtag')
    expect(name(['-p', 'P', '--rmtag', 't', '-s', '*'])).toBe('--addtag')
    expect(name(['-p', 'P', '-s', '*'])).toBe('--select')
    expect(name(['-c', 'Q', '--dates', 'remove'])).toBe('--createproject')
    expect(name(['-p', 'P', '--dates', 'remove'])).toBe('--policy')
    expect(name(['-p', 'P', '--launchfile', 'f'])).toBe('--launch')
  })
  test('unknown commands and subcommands are usage errors naming them', () => {
    expect(() => resolveCommand(parseArgs(['frobnicate']))).toThrow('unknown command "frobnicate"')
    expect(() => resolveCommand(parseArgs(['pacs', 'frob']))).toThrow('nora pacs frob: unknown; use nodes, echo, find, pull, pulls, push')
    expect(() => resolveCommand(parseArgs(['--admin', 'frob']))).toThrow('unknown admin command "frob"')
    expect(name(['frobnicate', '--help'])).toBe('main')
  })
  test('--help names the command it is about, even when the command line is incomplete', () => {
    expect(name(['-p', 'P', '--import', '--help'])).toBe('--import')
    expect(name(['--sql', '--help'])).toBe('--sql')
    expect(name(['pacs', 'pull', '--help'])).toBe('pacs pull')
    expect(name(['--admin', 'adduser', '--help'])).toBe('--admin adduser')
  })
})

describe('checkArgs', () => {
  test('the cases of the issue: pull takes all studies, --import --help is help, not a path', () => {
    expect(verdict(['-p', 'P', 'pacs', 'pull', 'NODE', '--study', 'A', 'B', 'C'])).toBe('ok pacs pull')
    expect(resolveCommand(parseArgs(['-p', 'P', '--import', '--help']))).toMatchObject({ kind: 'command', spec: { name: '--import' } })
  })
  test('an unknown option is refused by name, with the usage line', () => {
    expect(verdict(['init', '--frob'])).toBe('unknown option --frob\nusage: nora init')
    expect(verdict(['-p', 'P', '--select', '*', '--jsno'])).toStartWith('unknown option --jsno\nusage: nora -p PROJECT --select PATTERN')
  })
  test('an option the command does not read is refused (-p with --sql, --del with --add, --json with init)', () => {
    expect(verdict(['-p', 'P', '--sql', 'SELECT 1'])).toStartWith('--project does not go with --sql\nusage: nora --sql STATEMENT')
    expect(verdict(['-p', 'P', '--add', 'f', '--del', 'g'])).toStartWith('--del does not go with --add')
    expect(verdict(['init', '--json', '--csv'])).toStartWith('--json, --csv do not go with init')
    expect(verdict(['-p', 'P', '--import', 'x', '--policy', 'keep'])).toStartWith('--policy does not go with --import')
    expect(verdict(['-p', 'P', '--addtag', 't', '-s', '*', '--psid', 'A#B'])).toStartWith('--psid does not go with --addtag')
  })
  test('extra positional words are refused by name; missing ones are named', () => {
    expect(verdict(['init', 'now'])).toBe('unexpected argument "now" (init takes none)\nusage: nora init')
    expect(verdict(['pacs', 'echo', 'a', 'b'])).toStartWith('unexpected argument "b"\nusage: nora pacs echo [NODE]')
    expect(verdict(['-p', 'P', '-s', '*', 'x', 'y'])).toStartWith('unexpected arguments "x" "y" (--select takes none)')
    expect(verdict(['--admin', 'grant', 'carol'])).toBe('missing PROJECT, RIGHT\nusage: nora --admin grant NAME PROJECT RIGHT')
    expect(verdict(['-p', 'P', 'pacs', 'pull'])).toStartWith('missing NODE\n')
    expect(verdict(['--admin', 'users', 'extra'])).toStartWith('unexpected argument "extra"')
    expect(verdict(['pacs', 'find', 'N', 'PatientID=1', 'StudyDate=2001'])).toBe('ok pacs find')
  })
  test('a word outside its choices is refused', () => {
    expect(verdict(['test', 'nope'])).toBe('"nope" is not one of db, slurm, sge, dicom, ldap, email, all\nusage: nora test [db|slurm|sge|dicom|ldap|email|all] [USER|ADDRESS]')
    expect(verdict(['test'])).toBe('ok test')
    expect(verdict(['test', 'slurm'])).toBe('ok test')
  })
  test('options that exclude each other, and required ones', () => {
    expect(verdict(['-p', 'P', '--launch', '{}', '--launchfile', 'f'])).toStartWith('give --launch or --launchfile, not both')
    expect(verdict(['-p', 'P', '--addtag', 't', '--rmtag', 'u', '-s', '*'])).toStartWith('give --addtag or --rmtag, not both')
    expect(verdict(['-p', 'P', '--rmtag', 't'])).toStartWith('--addtag needs --select PATTERN')
    expect(verdict(['pacs', 'push', 'N', '-p', 'P'])).toStartWith('pacs push needs --study UID')
  })
  test('parse problems are reported once the command is known', () => {
    expect(verdict(['-p', 'P', '--import'])).toStartWith('--import needs a value (SRC)\nusage: nora -p PROJECT --import SRC')
    expect(verdict(['-p', 'A', '-p', 'B', '-s', '*'])).toStartWith('--project given twice')
  })
  test('the global options go with every command', () => {
    for (const c of COMMANDS) for (const o of ['home', 'user', 'help']) expect(allowedOptions(c).has(o)).toBe(true)
    expect(verdict(['--home', '/x', '--user', 'u', 'status'])).toBe('ok status')
  })
})

describe('command descriptions and help', () => {
  test('every option belongs to some command, and every command names only known options', () => {
    expect(unusedOptions()).toEqual([])
    const known = new Set(OPTIONS.map((o) => o.name))
    for (const c of COMMANDS) for (const o of allowedOptions(c)) expect(known.has(o), `${c.name}: --${o}`).toBe(true)
  })
  test("every command's help starts with its usage line, and its prose names only options it takes", () => {
    for (const c of COMMANDS) {
      const help = commandHelp(c)
      expect(help.startsWith(`${synopsis(c)}\n`)).toBe(true)
      const allowed = allowedOptions(c)
      for (const m of (c.details ?? '').matchAll(/(?<![\w-])--([a-z][\w-]*)/g)) expect(allowed.has(m[1]!), `${c.name} mentions --${m[1]}`).toBe(true)
    }
  })
  test('the main help lists every visible command; pacs, roi, markers, transform and --admin list their subcommands', () => {
    const main = mainHelp()
    for (const c of COMMANDS.filter((c) => c.group !== 'hidden' && !c.name.startsWith('pacs ') && !c.name.startsWith('roi ') && !c.name.startsWith('markers ') && !c.name.startsWith('transform ') && !c.name.startsWith('--admin ')))
      expect(main).toContain(synopsis(c, true))
    expect(main).not.toContain('--run-import')
    for (const c of COMMANDS.filter((c) => c.name.startsWith('pacs '))) expect(familyHelp('pacs')).toContain(synopsis(c))
    for (const c of COMMANDS.filter((c) => c.name.startsWith('roi '))) expect(familyHelp('roi')).toContain(synopsis(c))
    for (const c of COMMANDS.filter((c) => c.name.startsWith('markers '))) expect(familyHelp('markers')).toContain(synopsis(c))
    for (const c of COMMANDS.filter((c) => c.name.startsWith('--admin '))) expect(familyHelp('--admin')).toContain(synopsis(c))
  })
  test('usage lines show arity: --study UID..., -p PROJECT, exclusive pairs, repeated -k', () => {
    expect(synopsis(spec('pacs pull'))).toBe('nora -p PROJECT pacs pull NODE [--study UID...] [--from-file FILE]')
    expect(synopsis(spec('--add'))).toBe('nora -p PROJECT --add FILE... [--addtag T1,T2]')
    expect(synopsis(spec('--launch'))).toStartWith('nora -p PROJECT (--launch JSON | --launchfile FILE) [--select-studies FILTER]')
    expect(synopsis(spec('pacs find'))).toContain('[--key KEY=VALUE]...')
    expect(commandHelp(spec('pacs find'))).toContain('short forms: -k = --key')
  })
  test('the subcommands implemented in admin.ts and pacs.ts are exactly the ones described', () => {
    const src = (f: string) => readFileSync(join(import.meta.dir, '../../../src/cli/commands', f), 'utf8')
    const adminCases = [...src('admin.ts').matchAll(/case '([\w-]+)'/g)].map((m) => m[1]).sort()
    const adminSpecs = COMMANDS.filter((c) => c.name.startsWith('--admin ')).map((c: CommandSpec) => wordsOf(c)[0]).sort()
    expect(adminSpecs).toEqual(adminCases)
    const pacsSubs = [...src('pacs.ts').matchAll(/sub === '(\w+)'/g)].map((m) => m[1]).sort()
    expect(COMMANDS.filter((c) => c.name.startsWith('pacs ')).map((c) => wordsOf(c)[1]).sort()).toEqual(pacsSubs)
  })
})

describe('errorLine', () => {
  // MySQL's refusals are checked against MariaDB in test/integration/cli/strict-args.test.ts.
  test("SQLite's refusal is one line with the database's words; a bug keeps its stack (undefined here)", () => {
    const db = new Database(':memory:')
    let err: unknown
    try {
      db.query('SELECT * FROM nosuch').all()
    } catch (e) {
      err = e
    }
    expect(errorLine(err)).toEqual({ line: 'database: no such table: nosuch', exitCode: 1 })
    expect(errorLine(new UsageError('bad'))).toEqual({ line: 'bad', exitCode: 2 })
    expect(errorLine(new TypeError('x is undefined'))).toBeUndefined()
  })
})
