import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import clinicalCt from '../../conf/modules/clinical-ct.json.example' with { type: 'text' }
import mriResearch from '../../conf/modules/mri-research.json.example' with { type: 'text' }
import { modulesDir } from '../config/project-modules'
import type { Out } from './context'

/** The project modules nora ships (conf/modules/*.json.example), embedded in the binary. */
export const SHIPPED_MODULES: [string, string][] = [
  ['mri-research', mriResearch],
  ['clinical-ct', clinicalCt],
]

/** `nora init`: writes conf/modules/NAME.json for each shipped module; an existing file (maybe edited) is kept. */
export function writeShippedModules(confDir: string, io: Out): void {
  const dir = modulesDir(confDir)
  mkdirSync(dir, { recursive: true })
  for (const [name, text] of SHIPPED_MODULES) {
    const path = join(dir, `${name}.json`)
    if (existsSync(path)) void io.out(`kept ${path}`)
    else {
      writeFileSync(path, text, { mode: 0o640 })
      void io.out(`wrote ${path}`)
    }
  }
}
