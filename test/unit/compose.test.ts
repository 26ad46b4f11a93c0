// compose.yaml, docker/nora/main.conf and docker/slurm/slurm.conf must agree with each other and with nora's
// own validator: there is no Docker engine in CI, so a mismatch (a password changed in one file only, a port
// published that nora does not listen on, a conf mounted where nora does not read it) would only show on a
// lab's server.
import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, join, posix, resolve } from 'node:path'
import { validate } from '../../src/config/load-config'
import { mainConfRule } from '../../src/config/main-conf'

const REPO = resolve(import.meta.dir, '../..')

type Service = Record<string, any>
const compose = Bun.YAML.parse(readFileSync(join(REPO, 'compose.yaml'), 'utf8')) as {
  services: Record<string, Service>
  volumes?: Record<string, unknown>
}
const rawConf = Bun.JSON5.parse(readFileSync(join(REPO, 'docker/nora/main.conf'), 'utf8'))
const slurmConf = readFileSync(join(REPO, 'docker/slurm/slurm.conf'), 'utf8')

function service(name: string): Service {
  const s = compose.services?.[name]
  if (!s) throw new Error(`compose.yaml has no service "${name}"`)
  return s
}

/** environment as a map, from either the map or the KEY=VALUE list form. */
function environment(s: Service): Record<string, string> {
  const env = s.environment ?? {}
  if (!Array.isArray(env)) return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]))
  return Object.fromEntries(
    env.map((e: string) => {
      const i = e.indexOf('=')
      return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)]
    }),
  )
}

interface Mount {
  type: 'bind' | 'volume'
  source: string
  target: string
}

/** volumes, from the short (SRC:TARGET[:MODE]) or the long syntax; bind sources resolved against the repo. */
function mounts(s: Service): Mount[] {
  return (s.volumes ?? []).map((v: any): Mount => {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':')
      const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~')
      return { type: bind ? 'bind' : 'volume', source: bind ? resolve(REPO, source) : source, target }
    }
    return { type: v.type === 'bind' ? 'bind' : 'volume', source: v.type === 'bind' ? resolve(REPO, v.source) : v.source, target: v.target }
  })
}

/** ports as {published, target}, from "[IP:]PUBLISHED:TARGET[/PROTO]", a bare number or the long syntax. */
function ports(s: Service): { published: number; target: number }[] {
  return (s.ports ?? []).map((p: any) => {
    if (typeof p === 'object') return { published: Number(p.published ?? p.target), target: Number(p.target) }
    const parts = String(p).split('/')[0]!.split(':')
    const target = Number(parts.at(-1))
    return { published: parts.length > 1 ? Number(parts.at(-2)) : target, target }
  })
}

function dependsOn(s: Service): Record<string, { condition?: string }> {
  const d = s.depends_on ?? {}
  return Array.isArray(d) ? Object.fromEntries(d.map((n: string) => [n, {}])) : d
}

const conf = validate(mainConfRule, rawConf, 'docker/nora/main.conf')
const noraHome = environment(service('nora')).NORA_HOME ?? ''
const inHome = (p: string) => (isAbsolute(p) ? p : posix.join(noraHome, p))

describe('compose.yaml', () => {
  test('has the services nora, mariadb and slurm, builds from Dockerfiles that exist, declares its named volumes', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['mariadb', 'nora', 'slurm'])
    for (const name of ['nora', 'slurm']) {
      const build = service(name).build
      expect(existsSync(resolve(REPO, build.context ?? '.', build.dockerfile ?? 'Dockerfile'))).toBe(true)
    }
    for (const [name, s] of Object.entries(compose.services)) {
      for (const m of mounts(s)) {
        if (m.type === 'volume') expect(Object.keys(compose.volumes ?? {}), `${name} mounts volume ${m.source}`).toContain(m.source)
        else expect(existsSync(m.source), `${name} mounts ${m.source}`).toBe(true)
      }
    }
  })

  test('nora starts after a healthy mariadb (and slurm)', () => {
    const deps = dependsOn(service('nora'))
    expect(deps.mariadb?.condition).toBe('service_healthy')
    expect(service('mariadb').healthcheck?.test).toBeDefined()
    expect(deps.slurm?.condition).toBe('service_healthy')
    expect(service('slurm').healthcheck?.test).toBeDefined()
  })
})

describe('docker/nora/main.conf', () => {
  test("passes nora's own validator and selects MySQL and Slurm", () => {
    expect(conf.database.dialect).toBe('mysql')
    expect(conf.jobs.queue).toBe('slurm')
  })

  test('reaches the mariadb service with the account that service creates', () => {
    const env = environment(service('mariadb'))
    const pick = (key: string) => env[`MARIADB_${key}`] ?? env[`MYSQL_${key}`]
    expect(compose.services[conf.database.mysql.host]).toBe(service('mariadb'))
    expect(conf.database.mysql.port).toBe(3306)
    expect(conf.database.mysql.user).toBe(pick('USER')!)
    expect(conf.database.mysql.password).toBe(pick('PASSWORD')!)
    expect(conf.database.mysql.database).toBe(pick('DATABASE')!)
  })

  test('nora listens on all interfaces of its container, on the ports compose publishes unchanged', () => {
    expect(conf.http.host).toBe('0.0.0.0')
    expect(conf.dicom.enabled).toBe(true)
    expect(conf.dicom.host).toBe('0.0.0.0')
    const published = ports(service('nora'))
    expect(published).toContainEqual({ published: conf.http.port, target: conf.http.port })
    expect(published).toContainEqual({ published: conf.dicom.port, target: conf.dicom.port })
  })

  test('is mounted where nora reads it: NORA_HOME/conf/main.conf', () => {
    expect(noraHome).toStartWith('/')
    const m = mounts(service('nora')).find((x) => x.target === posix.join(noraHome, 'conf/main.conf'))
    expect(m?.source).toBe(join(REPO, 'docker/nora/main.conf'))
  })

  test('the data root is one named volume, mounted at the same path in nora and on the slurm node', () => {
    const dataRoot = inHome(conf.data.root)
    const inNora = mounts(service('nora')).find((m) => m.target === dataRoot)
    expect(inNora?.type).toBe('volume')
    expect(mounts(service('slurm'))).toContainEqual(inNora!)
    // Jobs on the node run nora against the same database: it gets the same conf at the same place.
    expect(environment(service('slurm')).NORA_HOME).toBe(noraHome)
    expect(mounts(service('slurm'))).toContainEqual(mounts(service('nora')).find((m) => m.target.endsWith('/conf/main.conf'))!)
  })
})

describe('docker/slurm/slurm.conf', () => {
  const setting = (key: string) => [...slurmConf.matchAll(new RegExp(`^${key}=(\\S+)`, 'gm'))].map((m) => m[1])

  test('names the slurm service as controller and node, with the partitions DPXproc and DPXimport', () => {
    const host = service('slurm').hostname
    expect(setting('SlurmctldHost')).toEqual([host])
    expect(setting('NodeName')).toEqual([host])
    expect(setting('PartitionName').sort()).toEqual(['DPXimport', 'DPXproc'])
  })

  test('is the file both nora (sbatch) and the slurm node read', () => {
    const want = { type: 'bind', source: join(REPO, 'docker/slurm/slurm.conf'), target: '/etc/slurm/slurm.conf' }
    expect(mounts(service('nora'))).toContainEqual(want as Mount)
    expect(mounts(service('slurm'))).toContainEqual(want as Mount)
  })
})
