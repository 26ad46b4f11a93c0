import type { ArchiveCore } from '../../app-archive'
import { AutoloadersService, checkPresets } from '../../archive/autoloaders'
import { parseDates, parsePolicy } from '../../archive/project-policy'
import { loadModule } from '../../config/project-modules'
import { UsageError } from '../../core/errors'
import { checkNaming, DEFAULT_NAMING } from '../../dicom/series-naming'
import { BatchLibrary, checkBatchName } from '../../jobs/batch-library'
import { parseBatch } from '../../jobs/job-spec'
import { one, type ParsedArgs } from '../args'
import { actorOf, type Out } from '../context'

/** Runs a check of the module's content; its complaint is prefixed with the module's file. */
function inModule<T>(label: string, check: () => T): T {
  try {
    return check()
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${label}: ${e.message}`)
    throw e
  }
}

/**
 * `nora -c NAME MODULE` (`--createproject NAME MODULE`): a project made from the template conf/modules/MODULE.json
 * (config/project-modules.ts): description, import policy, series naming, saved batches, autoexecution queue and
 * autoloader presets. Everything in the module is checked before the project is created; --policy and --dates
 * given on the command line win over the module's.
 */
export async function createFromModule(s: Pick<ArchiveCore, 'config' | 'repos' | 'archive'>, args: ParsedArgs, io: Out): Promise<number> {
  const name = one(args, 'createproject')!
  const moduleName = args.positional[0]!
  const m = loadModule(s.config.confDir, moduleName)
  const label = `conf/modules/${moduleName}.json`
  const identity = inModule(label, () => parsePolicy(one(args, 'policy') ?? m.policy))
  const dates = inModule(label, () => parseDates(one(args, 'dates') ?? m.dates))
  const naming = m.naming || DEFAULT_NAMING
  inModule(label, () => checkNaming(naming))
  const batches = Object.entries(m.batches).map(([batchName, batch]) =>
    inModule(`${label}, batch "${batchName}"`, () => {
      parseBatch(batch)
      return [checkBatchName(batchName), batch] as const
    }),
  )
  const presets = inModule(label, () => checkPresets(m.autoloaders))

  const actor = await actorOf(s, args)
  const project = await s.archive.createProject(actor, name, m.description, { ...identity, naming, keepDicom: m.keepdicom, dates })
  const library = new BatchLibrary({ archive: s.archive, library: s.repos.batchLibrary })
  for (const [batchName, batch] of batches) await library.save(actor, name, batchName, batch)
  if (m.autoexec) await library.setAutoexec(actor, name, m.autoexec)
  if (presets.length) await new AutoloadersService(s.repos, s.archive).save(actor, name, presets)

  const policy = identity.identity === 'pseudonymize' ? `pseudonymize:${identity.pseudonymMode}, dates ${dates === 'keep' ? 'kept' : 'removed'}` : 'keep'
  await io.out(`created project "${project.name}" in ${s.archive.projectDir(project)} from module "${moduleName}"`)
  await io.out(
    `policy ${policy}; series named ${naming}; original DICOM ${m.keepdicom ? 'kept' : 'dropped'}; batches: ${batches.map(([b]) => b).join(', ') || 'none'}; autoexecution queue: ${m.autoexec || 'none'}; autoloader presets: ${presets.map((p) => p.name).join(', ') || 'none'}`,
  )
  return 0
}
