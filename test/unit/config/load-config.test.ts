import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/config/load-config'
import { ConfigError, NoraError } from '../../../src/core/errors'

const homes: string[] = []
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true })
})

/** A temp NORA_HOME; `conf` is the literal text of conf/main.conf, or undefined for no file at all. */
function home(conf?: string): string {
  const h = mkdtempSync(join(tmpdir(), 'nora-conf-'))
  homes.push(h)
  mkdirSync(join(h, 'conf'))
  if (conf !== undefined) writeFileSync(join(h, 'conf', 'main.conf'), conf)
  return h
}

/** The ConfigError loadConfig throws (fails the test when it throws nothing or something else). */
function configError(h: string, env: Record<string, string> = {}): ConfigError {
  try {
    loadConfig(h, env)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return e as ConfigError
  }
  throw new Error('loadConfig accepted a bad configuration')
}

describe('loadConfig defaults', () => {
  test('an empty main.conf gets every default', () => {
    const h = home('{}')
    const c = loadConfig(h, {})
    expect(c.home).toBe(h)
    expect(c.confDir).toBe(join(h, 'conf'))
    expect(c.main.http.host).toBe('127.0.0.1')
    expect(c.main.http.port).toBe(8080)
    expect(c.main.http.publicUrl).toBe('')
    expect(c.main.dicom.aet).toBe('NORA')
    expect(c.main.dicom.port).toBe(11112)
    expect(c.main.dicom.enabled).toBe(true)
    expect(c.main.database.dialect).toBe('sqlite')
    expect(c.main.jobs.queue).toBe('local')
    expect(c.main.site.name).toBe('NORA')
    expect(c.main.auth.maxFailedLogins).toBe(5)
  })

  test('relative paths are resolved against NORA_HOME, absolute ones kept', () => {
    const c = loadConfig(home('{}'), {})
    expect(c.dataRoot).toBe(join(c.home, 'data'))
    expect(c.main.database.sqlite.path).toBe(join(c.home, 'data', 'nora.db'))
    const abs = join(tmpdir(), 'elsewhere', 'x.db')
    const c2 = loadConfig(home(`{ data: { root: "/srv/nora" }, database: { sqlite: { path: ${JSON.stringify(abs)} } } }`), {})
    expect(c2.dataRoot).toBe('/srv/nora')
    expect(c2.main.database.sqlite.path).toBe(abs)
  })

  test('JSON5 syntax (comments, unquoted keys, trailing commas) is read, given values win over defaults', () => {
    const c = loadConfig(
      home(`// lab config
      {
        http: { port: 9090, host: "0.0.0.0", },
        dicom: { aet: "LAB_AE", port: 104 }, /* block comment */
        database: { dialect: "mysql", mysql: { database: "lab_db" } },
        jobs: { queue: "slurm" },
      }`),
      {},
    )
    expect(c.main.http.port).toBe(9090)
    expect(c.main.http.host).toBe('0.0.0.0')
    expect(c.main.dicom.aet).toBe('LAB_AE')
    expect(c.main.dicom.port).toBe(104)
    expect(c.main.database.dialect).toBe('mysql')
    expect(c.main.database.mysql.database).toBe('lab_db')
    expect(c.main.database.mysql.port).toBe(3306)
    expect(c.main.jobs.queue).toBe('slurm')
  })
})

describe('loadConfig errors', () => {
  test('a wrong type names file, key, expectation and the value found', () => {
    const e = configError(home('{ http: { port: "80a" } }'))
    expect(e.message).toBe('conf/main.conf: http.port: expected integer 1-65535, got "80a"')
  })

  test('a port out of range is refused', () => {
    expect(configError(home('{ dicom: { port: 70000 } }')).message).toBe('conf/main.conf: dicom.port: expected integer 1-65535, got 70000')
    expect(configError(home('{ http: { port: 80.5 } }')).message).toBe('conf/main.conf: http.port: expected integer 1-65535, got 80.5')
  })

  test('an unknown key (a typo) is named with its full path', () => {
    const e = configError(home('{ http: { prot: 1 } }'))
    expect(e.message).toStartWith('conf/main.conf: http.prot: unknown key')
    expect(e.message).toContain('port')
    expect(configError(home('{ databse: {} }')).message).toStartWith('conf/main.conf: databse: unknown key')
  })

  test('a section that is not an object is refused', () => {
    expect(configError(home('{ http: 8080 }')).message).toBe('conf/main.conf: http: expected an object, got 8080')
  })

  test('a wrong enum value lists the allowed ones', () => {
    const e = configError(home('{ database: { dialect: "postgres" } }'))
    expect(e.message).toBe('conf/main.conf: database.dialect: expected one of "sqlite", "mysql", got "postgres"')
  })

  test('an AE title longer than 16 characters is refused', () => {
    expect(configError(home('{ dicom: { aet: "A_VERY_LONG_AE_TITLE" } }')).message).toStartWith('conf/main.conf: dicom.aet: expected an AE title')
  })

  test('http.trustedProxies takes IP addresses and CIDR ranges (default none); anything else is refused by index', () => {
    expect(loadConfig(home('{}'), {}).main.http.trustedProxies).toEqual([])
    const ok = loadConfig(home('{ http: { trustedProxies: ["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"] } }'), {})
    expect(ok.main.http.trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8'])
    for (const bad of ['"proxy.lab"', '"10.0.0.0/33"', '"::1/129"', '"10.0.0.1/8/1"', '"10.0.0.256"', '"10.0.0.0/"', '7'])
      expect(configError(home(`{ http: { trustedProxies: ["127.0.0.1", ${bad}] } }`)).message).toStartWith('conf/main.conf: http.trustedProxies[1]: expected an IP address or range')
    expect(configError(home('{ http: { trustedProxies: "127.0.0.1" } }')).message).toStartWith('conf/main.conf: http.trustedProxies: expected a list')
  })

  test('login limits per user and per address default to 20 and 50', () => {
    const c = loadConfig(home('{}'), {})
    expect([c.main.auth.maxFailedLogins, c.main.auth.maxFailedLoginsPerUser, c.main.auth.maxFailedLoginsPerAddress]).toEqual([5, 20, 50])
    expect(configError(home('{ auth: { maxFailedLoginsPerAddress: 0 } }')).message).toContain('auth.maxFailedLoginsPerAddress')
  })

  test('malformed JSON5 names the file', () => {
    const e = configError(home('{ http: { port: 8080 '))
    expect(e.message).toStartWith('conf/main.conf: not valid JSON5')
  })

  test('a missing main.conf says where it looked and how to create it', () => {
    const h = home()
    const e = configError(h)
    expect(e.message).toContain('conf/main.conf: missing')
    expect(e.message).toContain(join(h, 'conf', 'main.conf'))
    expect(e.message).toContain('nora init')
  })

  test('ConfigError exits the CLI with code 2', () => {
    const e = configError(home('{ http: { port: "80a" } }'))
    expect(e).toBeInstanceOf(NoraError)
    expect(e.exitCode).toBe(2)
  })
})

describe('environment overrides', () => {
  test('NORA_HTTP_PORT and NORA_DICOM_PORT override main.conf', () => {
    const c = loadConfig(home('{ http: { port: 9000 }, dicom: { port: 104 } }'), { NORA_HTTP_PORT: '18080', NORA_DICOM_PORT: '21112' })
    expect(c.main.http.port).toBe(18080)
    expect(c.main.dicom.port).toBe(21112)
  })

  test('an empty override is ignored', () => {
    const c = loadConfig(home('{ http: { port: 9000 } }'), { NORA_HTTP_PORT: '' })
    expect(c.main.http.port).toBe(9000)
  })

  test('a malformed or out-of-range override is an error naming the variable', () => {
    const h = home('{}')
    const e = configError(h, { NORA_HTTP_PORT: '80a' })
    expect(e.message).toBe('NORA_HTTP_PORT: expected integer 1-65535, got "80a"')
    expect(e.exitCode).toBe(2)
    expect(configError(h, { NORA_DICOM_PORT: '0' }).message).toBe('NORA_DICOM_PORT: expected integer 1-65535, got 0')
    expect(configError(h, { NORA_DICOM_PORT: '65536' }).message).toBe('NORA_DICOM_PORT: expected integer 1-65535, got 65536')
    expect(configError(h, { NORA_HTTP_PORT: '-1' }).message).toBe('NORA_HTTP_PORT: expected integer 1-65535, got "-1"')
  })
})
