import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestHome } from './home'

/** Sets http.basePath in a test home's main.conf (what a lab behind NORA's /godzilla/ proxy writes). */
export function setBasePath(home: TestHome, basePath: string): void {
  const conf = join(home.home, 'conf', 'main.conf')
  const text = readFileSync(conf, 'utf8')
  const next = text.replace(`port: ${home.httpPort} }`, `port: ${home.httpPort}, basePath: ${JSON.stringify(basePath)} }`)
  if (next === text) throw new Error(`main.conf of the test home has no http block to extend: ${text}`)
  writeFileSync(conf, next)
}
