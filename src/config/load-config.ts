import { existsSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { ConfigError } from '../core/errors'
import { isCompiled } from '../core/runtime'
import { pacsConfRule, routesConfRule, type PacsConf, type RoutesConf } from './dicom-confs'
import { mainConfRule, type MainConf } from './main-conf'
import { ConfigProblem, integer } from './schema'

export interface Config {
  /** NORA_HOME: holds conf/ and data/. */
  home: string
  confDir: string
  /** Absolute data root: projects, spool, pid file, sqlite database. */
  dataRoot: string
  main: MainConf
  pacs: PacsConf
  routes: RoutesConf
}

/** NORA_HOME from --home, the environment, or the directory of the running binary. */
export function resolveHome(flag?: string, env: Record<string, string | undefined> = process.env): string {
  if (flag) return resolve(flag)
  if (env.NORA_HOME) return resolve(env.NORA_HOME)
  // From source (`bun src/main.ts`) the executable is bun itself: use the working directory instead.
  return isCompiled() ? dirname(process.execPath) : process.cwd()
}

/** Parse a JSON5 conf file; a syntax error names the file and says what the parser found. */
export function readConfFile(path: string, label: string): unknown {
  if (!existsSync(path)) {
    throw new ConfigError(`${label}: missing (looked for ${path}); run "nora init" or ./install.sh to create it from the examples`)
  }
  try {
    return Bun.JSON5.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new ConfigError(`${label}: not valid JSON5: ${(e as Error).message}`)
  }
}

export function validate<T>(rule: { parse(v: unknown, p: string): T }, value: unknown, label: string): T {
  try {
    return rule.parse(value, '')
  } catch (e) {
    if (e instanceof ConfigProblem) throw new ConfigError(`${label}: ${e.message}`)
    throw e
  }
}

function envPort(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const n = /^\d+$/.test(raw) ? Number(raw) : raw
  try {
    return integer(1, 65535).parse(n, name)
  } catch (e) {
    throw new ConfigError((e as Error).message)
  }
}

export function loadConfig(home: string, env: Record<string, string | undefined> = process.env): Config {
  const confDir = join(home, 'conf')
  const main = validate(mainConfRule, readConfFile(join(confDir, 'main.conf'), 'conf/main.conf'), 'conf/main.conf')
  main.http.port = envPort(env, 'NORA_HTTP_PORT') ?? main.http.port
  main.dicom.port = envPort(env, 'NORA_DICOM_PORT') ?? main.dicom.port
  const abs = (p: string) => (isAbsolute(p) ? p : join(home, p))
  const dataRoot = abs(main.data.root)
  main.database.sqlite.path = abs(main.database.sqlite.path)
  // pacs.conf and routes.conf are optional: without them nora accepts any sender and routes to quarantine.
  const optional = <T>(rule: { parse(v: unknown, p: string): T }, name: string) =>
    validate(rule, existsSync(join(confDir, name)) ? readConfFile(join(confDir, name), `conf/${name}`) : {}, `conf/${name}`)
  return { home, confDir, dataRoot, main, pacs: optional(pacsConfRule, 'pacs.conf'), routes: optional(routesConfRule, 'routes.conf') }
}
