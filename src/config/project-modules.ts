import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { UsageError } from '../core/errors'
import { readConfFile, validate } from './load-config'
import { boolean, ConfigProblem, listOf, object, oneOf, recordOf, string, type Rule } from './schema'

/**
 * Project modules (the seed's `nora -c NAME MODULE`): project templates in `conf/modules/MODULE.json` (JSON5, as the
 * other conf files). A module gives a new project its description, import policy (identity, pseudonym mode, dates,
 * series naming, kept DICOM), saved batches, the autoexecution queue (one of those batches) and autoloader presets.
 * Here the file's shape is checked; what the batches, naming and presets hold is checked by their own owners (jobs,
 * dicom, archive) before the project is made (cli/commands/create-project.ts).
 */

/** A module's name: its file name without .json. */
export const MODULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** Any JSON object, handed on as it is (a batch, an autoloader preset): its owner checks it. */
const anObject = (what: string): Rule<Record<string, unknown>> => ({
  describe: what,
  parse(v, path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigProblem(path, what, v)
    return v as Record<string, unknown>
  },
})

export const projectModuleRule = object({
  /** Shown in the project list. */
  description: string(''),
  /** keep, pseudonymize (= pseudonymize:hash) or pseudonymize:sequential. */
  policy: oneOf(['keep', 'pseudonymize', 'pseudonymize:hash', 'pseudonymize:sequential'] as const, 'keep'),
  /** Pseudonymised projects: keep dates and times, or remove them. */
  dates: oneOf(['keep', 'remove'] as const, 'keep'),
  /** Series naming FOLDER/FILE; "" = nora's default {protocol|description}/s{series:3}. */
  naming: string(''),
  /** Keep each series' original DICOM as tar.gz. */
  keepdicom: boolean(true),
  /** Saved batches by name (what --launchfile reads). */
  batches: recordOf(anObject('a batch (an object: level, jobs...)')),
  /** The name of one of `batches` to run on every study an import brings in; "" = none. */
  autoexec: string(''),
  /** Autoloader presets: [{ name, active, items: [{ pattern, viewport, as, colormap }] }]. */
  autoloaders: listOf(anObject('an autoloader preset (an object: name, active, items)')),
})

export type ProjectModule = ReturnType<typeof projectModuleRule.parse>

export const modulesDir = (confDir: string) => join(confDir, 'modules')

/** The modules there are: conf/modules/*.json, by name. */
export function listModules(confDir: string): string[] {
  const dir = modulesDir(confDir)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && MODULE_NAME.test(f.slice(0, -5)))
    .map((f) => f.slice(0, -5))
    .sort()
}

const available = (confDir: string) => {
  const names = listModules(confDir)
  return names.length ? `available: ${names.join(', ')}` : `there are none in ${modulesDir(confDir)} (nora init writes the shipped examples there)`
}

/** conf/modules/NAME.json, checked; a name that is not there says which ones are. */
export function loadModule(confDir: string, name: string): ProjectModule {
  if (!MODULE_NAME.test(name)) throw new UsageError(`module "${name}": a module is named by its file conf/modules/NAME.json (letters, digits, _ . -); ${available(confDir)}`)
  const path = join(modulesDir(confDir), `${name}.json`)
  if (!existsSync(path)) throw new UsageError(`no module "${name}" (looked for ${path}); ${available(confDir)}`)
  const label = `conf/modules/${name}.json`
  const m = validate(projectModuleRule, readConfFile(path, label), label)
  if (m.autoexec && !(m.autoexec in m.batches))
    throw new UsageError(`${label}: autoexec "${m.autoexec}" is none of its batches (${Object.keys(m.batches).join(', ') || 'it has none'}); name one of them or leave autoexec out`)
  return m
}
