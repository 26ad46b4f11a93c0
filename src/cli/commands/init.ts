import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mainExample from '../../../conf/main.conf.example' with { type: 'text' }
import pacsExample from '../../../conf/pacs.conf.example' with { type: 'text' }
import routesExample from '../../../conf/routes.conf.example' with { type: 'text' }
import slurmExample from '../../../conf/slurm.conf.example' with { type: 'text' }
import { openServices } from '../../app'
import { loadConfig, resolveHome } from '../../config/load-config'
import { one, type ParsedArgs } from '../args'
import type { Out } from '../context'

const EXAMPLES: [string, string][] = [
  ['main.conf', mainExample],
  ['pacs.conf', pacsExample],
  ['routes.conf', routesExample],
  ['slurm.conf', slurmExample],
]

/**
 * `nora init [--home DIR]`: creates conf/ from the shipped examples (an existing file is kept), the data root
 * and the database, and the first admin. Safe to run again: nothing existing is changed.
 */
export async function init(args: ParsedArgs, io: Out): Promise<number> {
  const home = resolveHome(one(args, 'home'))
  const confDir = join(home, 'conf')
  mkdirSync(confDir, { recursive: true })
  for (const [name, text] of EXAMPLES) {
    const path = join(confDir, name)
    if (existsSync(path)) io.out(`kept ${path}`)
    else {
      writeFileSync(path, text, { mode: 0o640 })
      io.out(`wrote ${path}`)
    }
  }
  const config = loadConfig(home)
  mkdirSync(join(config.dataRoot, 'projects'), { recursive: true })
  const services = await openServices(config)
  try {
    const password = await services.users.ensureInitialAdmin()
    io.out(`database ${services.db.dialect} ${services.db.label} ready`)
    if (password) io.out(`created user "admin" with password: ${password}\n(printed once; change it with: nora --admin passwd admin)`)
    else io.out('users exist already: passwords unchanged (reset one with: nora --admin passwd NAME)')
  } finally {
    await services.close()
  }
  return 0
}
