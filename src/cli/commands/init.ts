import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mainExample from '../../../conf/main.conf.example' with { type: 'text' }
import pacsExample from '../../../conf/pacs.conf.example' with { type: 'text' }
import routesExample from '../../../conf/routes.conf.example' with { type: 'text' }
import slurmExample from '../../../conf/slurm.conf.example' with { type: 'text' }
import smailExample from '../../../conf/smail.conf.example' with { type: 'text' }
import { openArchive } from '../../app-archive'
import { UsersService } from '../../auth/users-service'
import { loadConfig, resolveHome } from '../../config/load-config'
import { one, type ParsedArgs } from '../args'
import type { Out } from '../context'
import { writeShippedModules } from '../shipped-modules'

/** The shipped examples and the mode of the file made from each (smail.conf may hold the SMTP password). */
const EXAMPLES: [string, string, number][] = [
  ['main.conf', mainExample, 0o640],
  ['pacs.conf', pacsExample, 0o640],
  ['routes.conf', routesExample, 0o640],
  ['slurm.conf', slurmExample, 0o640],
  ['smail.conf', smailExample, 0o600],
]

/**
 * `nora init [--home DIR]`: creates conf/ (and conf/modules/) from the shipped examples (an existing file is kept), the data root
 * and the database, and the first admin. Safe to run again: nothing existing is changed.
 */
export async function init(args: ParsedArgs, io: Out): Promise<number> {
  const home = resolveHome(one(args, 'home'))
  const confDir = join(home, 'conf')
  mkdirSync(confDir, { recursive: true })
  for (const [name, text, mode] of EXAMPLES) {
    const path = join(confDir, name)
    if (existsSync(path)) io.out(`kept ${path}`)
    else {
      writeFileSync(path, text, { mode })
      io.out(`wrote ${path}`)
    }
  }
  writeShippedModules(confDir, io) // project modules for nora -c NAME MODULE
  const config = loadConfig(home)
  mkdirSync(join(config.dataRoot, 'projects'), { recursive: true })
  const core = await openArchive(config)
  try {
    const password = await new UsersService(core.repos).ensureInitialAdmin()
    io.out(`database ${core.db.dialect} ${core.db.label} ready`)
    if (password) io.out(`created user "admin" with password: ${password}\n(printed once; change it with: nora --admin passwd admin)`)
    else io.out('users exist already: passwords unchanged (reset one with: nora --admin passwd NAME)')
  } finally {
    await core.db.close()
  }
  return 0
}
