import { NoraError } from '../core/errors'
import { VERSION } from '../version'
import { has, parseArgs, type ParsedArgs } from './args'
import { admin } from './commands/admin'
import { init } from './commands/init'
import { jobsCommand } from './commands/jobs'
import { pacsCommand } from './commands/pacs'
import { runImport } from './commands/run-import'
import { manage } from './commands/manage'
import { selfTest } from './commands/self-test'
import { serve } from './commands/serve'
import { sql } from './commands/sql'
import { start } from './commands/start'
import { status } from './commands/status'
import { stop } from './commands/stop'
import { withServices, stdio, type Out } from './context'
import { COMMAND_HELP, MAIN_HELP } from './help'

const SUBCOMMANDS: Record<string, (a: ParsedArgs, io: Out) => Promise<number>> = {
  init,
  start,
  stop,
  status,
  serve,
  test: selfTest,
  pacs: (a, io) => withServices(a, (s) => pacsCommand(s, a, io)),
  jobs: (a, io) => withServices(a, (s) => jobsCommand(s, a, io)),
}

async function dispatch(args: ParsedArgs, io: Out): Promise<number> {
  const sub = args.positional[0]
  if (has(args, 'version') && !sub) {
    io.out(VERSION)
    return 0
  }
  if (has(args, 'admin')) {
    if (has(args, 'help')) {
      io.out(COMMAND_HELP.admin!)
      return 0
    }
    return withServices(args, (s) => admin(s, args, io))
  }
  if (sub && SUBCOMMANDS[sub]) {
    if (has(args, 'help')) {
      io.out(COMMAND_HELP[sub]!)
      return 0
    }
    return SUBCOMMANDS[sub]!(args, io)
  }
  if (sub) {
    io.err(`nora: unknown command "${sub}"\n\n${MAIN_HELP}`)
    return 2
  }
  if (has(args, 'help') || args.options.size === 0 || [...args.options.keys()].every((k) => k === 'home' || k === 'user')) {
    io.out(MAIN_HELP)
    return has(args, 'help') ? 0 : 2
  }
  if (has(args, 'run-import')) return runImport(args, io)
  if (has(args, 'sql')) return withServices(args, (s) => sql(s, args, io))
  return withServices(args, (s) => manage(s, args, io))
}

/** Runs the CLI; returns the exit code. Errors a user can act on print one clear line, not a stack. */
export async function runCli(argv: string[], io: Out = stdio): Promise<number> {
  try {
    return await dispatch(parseArgs(argv), io)
  } catch (e) {
    if (e instanceof NoraError) {
      io.err(`nora: ${e.message}`)
      return e.exitCode
    }
    io.err(`nora: unexpected error: ${(e as Error)?.stack ?? e}`)
    return 1
  }
}
