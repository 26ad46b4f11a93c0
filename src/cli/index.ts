import { UsageError } from '../core/errors'
import { VERSION } from '../version'
import { has, parseArgs, type ParsedArgs } from './args'
import { checkArgs, resolveCommand } from './check-args'
import { stdio, withArchive, withImport, withServices, type Out } from './context'
import { errorLine } from './error-line'
import { commandHelp, familyHelp, mainHelp, synopsis } from './help'
import { GLOBAL_OPTIONS, type CommandSpec } from './spec'

type Handler = (a: ParsedArgs, io: Out) => Promise<number>

// Each command's module is loaded when it runs, and takes only what it uses: --help and --version load nothing
// else; the archive commands (--select, --add, --del, --out, tags, policy) open the database and the archive
// (withArchive); only the commands that need them load the whole app (withServices: converter, jobs, PACS, HTTP).

/** The function behind each command of spec.ts; the archive's project commands (`-p P --add ...`) all go to manage. */
const HANDLERS: Record<string, Handler> = {
  init: async (a, io) => (await import('./commands/init')).init(a, io),
  start: async (a, io) => (await import('./commands/start')).start(a, io),
  stop: async (a, io) => (await import('./commands/stop')).stop(a, io),
  status: async (a, io) => (await import('./commands/status')).status(a, io),
  serve: async (a, io) => (await import('./commands/serve')).serve(a, io),
  test: async (a, io) => (await import('./commands/self-test')).selfTest(a, io),
  jobs: async (a, io) => {
    const { jobsCommand } = await import('./commands/jobs')
    return withServices(a, (s) => jobsCommand(s, a, io))
  },
  '--version': async (_a, io) => {
    await io.out(VERSION)
    return 0
  },
  '--run-import': async (a, io) => (await import('./commands/run-import')).runImport(a, io),
  '--sql': async (a, io) => {
    const { sql } = await import('./commands/sql')
    return withArchive(a, (s) => sql(s, a, io))
  },
  '--import': async (a, io) => {
    const { importCommand } = await import('./commands/import')
    // The importer alone unless an autoexecution queue is to run (the CLI runs none by default).
    if (!has(a, 'autoexec_queue')) return withImport(a, (s) => importCommand(s, a, io))
    return withServices(a, (s) => importCommand(s, a, io))
  },
  '--filter': async (a, io) => {
    const [{ filterCommand }, { StudiesService }] = await Promise.all([import('./commands/filter'), import('../archive/filter/studies-service')])
    return withArchive(a, (s) => filterCommand({ ...s, studies: new StudiesService(s.db, s.archive) }, a, io))
  },
  '--createproject': async (a, io) => {
    // -c NAME MODULE: from the template conf/modules/MODULE.json; -c NAME alone: an empty project (manage).
    if (a.positional.length) {
      const { createFromModule } = await import('./commands/create-project')
      return withArchive(a, (s) => createFromModule(s, a, io))
    }
    const { manage } = await import('./commands/manage')
    return withArchive(a, (s) => manage(s, a, io))
  },
  '--reading': async (a, io) => {
    const { readingCommand } = await import('./commands/reading')
    return withArchive(a, (s) => readingCommand(s, a, io))
  },
  '--exportmeta': async (a, io) => {
    const { exportMetaCommand } = await import('./commands/export-meta')
    return withArchive(a, (s) => exportMetaCommand(s, a, io))
  },
  '--launch': async (a, io) => {
    const { launchCommand } = await import('./commands/launch')
    return withServices(a, (s) => launchCommand(s, a, io))
  },
}
for (const name of ['--autoexec', '--launch_autoexec', '--pseudonyms'])
  HANDLERS[name] = async (a, io) => {
    const { projectServices } = await import('./commands/manage')
    return withServices(a, (s) => projectServices(s, a, io))
  }

function handlerOf(spec: CommandSpec): Handler {
  if (HANDLERS[spec.name]) return HANDLERS[spec.name]!
  if (spec.name.startsWith('pacs '))
    return async (a, io) => {
      const { pacsCommand } = await import('./commands/pacs')
      return withServices(a, (s) => pacsCommand(s, a, io))
    }
  if (spec.name === 'roi seg')
    return async (a, io) => {
      const { roiSegCommand } = await import('./commands/roi-seg')
      return withServices(a, (s) => roiSegCommand(s, a, io))
    }
  if (spec.name.startsWith('roi '))
    return async (a, io) => (await import('./commands/roi')).roiCommand(a, io, withArchive)
  if (spec.name.startsWith('transform '))
    return async (a, io) => (await import('./commands/transform')).transformCommand(a, io, withArchive)
  if (spec.name.startsWith('markers '))
    return async (a, io) => (await import('./commands/markers')).markersCommand(a, io, withArchive)
  if (spec.name.startsWith('--admin '))
    return async (a, io) => {
      const { admin } = await import('./commands/admin')
      return withServices(a, (s) => admin(s, a, io))
    }
  return async (a, io) => {
    const { manage } = await import('./commands/manage')
    return withArchive(a, (s) => manage(s, a, io))
  }
}

async function dispatch(args: ParsedArgs, io: Out): Promise<number> {
  const help = args.options.has('help')
  const found = resolveCommand(args)
  if (found.kind === 'family') {
    await (help ? io.out : io.err)(familyHelp(found.family))
    return help ? 0 : 2
  }
  if (found.kind === 'main') {
    if (help) {
      await io.out(mainHelp())
      return 0
    }
    const given = [...args.options.keys()].filter((o) => !GLOBAL_OPTIONS.includes(o))
    if (args.problems?.length) throw new UsageError(`${args.problems.join('; ')}; nora --help lists the commands and options`)
    if (given.includes('project')) throw new UsageError('nothing to do for the project: give --add, --del, --del_pat, --select, --out, --pathout, --import, --launch... (nora --help)')
    if (given.length) throw new UsageError(`${given.map((o) => `--${o}`).join(', ')}: no command to go with; nora --help lists the commands`)
    await io.err(mainHelp())
    return 2
  }
  const { spec } = found
  if (help) {
    await io.out(commandHelp(spec))
    return 0
  }
  checkArgs(spec, args, synopsis(spec))
  return handlerOf(spec)(args, io)
}

/** Runs the CLI; returns the exit code. Errors a user can act on print one clear line, not a stack. */
export async function runCli(argv: string[], io: Out = stdio): Promise<number> {
  try {
    return await dispatch(parseArgs(argv), io)
  } catch (e) {
    const known = errorLine(e)
    if (known) {
      await io.err(`nora: ${known.line}`)
      return known.exitCode
    }
    await io.err(`nora: unexpected error: ${(e as Error)?.stack ?? e}`)
    return 1
  }
}
