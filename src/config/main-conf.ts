import { boolean, integer, object, oneOf, string } from './schema'

const port = (fallback: number) => integer(1, 65535, fallback)

/** conf/main.conf: every key nora reads, with its default. Paths are relative to NORA_HOME. */
export const mainConfRule = object({
  site: object({ name: string('NORA') }),
  http: object({
    host: string('127.0.0.1'),
    port: port(8080),
    /** Public URL printed by `nora start` when nora sits behind a proxy. */
    publicUrl: string(''),
  }),
  dicom: object({
    enabled: boolean(true),
    aet: string('NORA', { pattern: /^[\x20-\x7e]{1,16}$/, hint: 'an AE title of 1-16 printable characters' }),
    host: string('0.0.0.0'),
    port: port(11112),
    /** A study is handed to the importer when no instance arrived for this long (or its sender released). */
    quietSeconds: integer(1, 86400, 30),
    maxPdu: integer(4096, 1 << 24, 131072),
    associationTimeoutSeconds: integer(1, 3600, 60),
    /** PACS pulls: studies moved at once, attempts per study, and the first retry delay (doubled each time). */
    pullParallel: integer(1, 32, 2),
    pullMaxAttempts: integer(1, 100, 5),
    pullRetrySeconds: integer(1, 86400, 30),
  }),
  database: object({
    dialect: oneOf(['sqlite', 'mysql'] as const, 'sqlite'),
    sqlite: object({ path: string('data/nora.db') }),
    mysql: object({
      host: string('127.0.0.1'),
      port: port(3306),
      user: string('nora'),
      password: string(''),
      database: string('nora', { pattern: /^[A-Za-z0-9_]{1,64}$/, hint: 'a database name of letters, digits and _' }),
      connectionLimit: integer(1, 200, 10),
    }),
  }),
  data: object({ root: string('data') }),
  import: object({
    /**
     * "auto" (default): the dcm2niix on PATH, falling back to the embedded WASM build for what it cannot read (and
     * where there is none); "builtin": the embedded WASM build alone; or the absolute path of a native dcm2niix.
     */
    converter: string('auto', { pattern: /^(auto|builtin|\/.+)$/, hint: '"auto", "builtin" or an absolute path to dcm2niix' }),
    /** Series converted at once. */
    maxParallel: integer(1, 64, 2),
    /** "inline" (default): accepted imports run in the server; "queue": as jobs on jobs.queue's import queue (DPXimport; slurm/sge only). */
    executor: oneOf(['inline', 'queue'] as const, 'inline'),
  }),
  jobs: object({
    queue: oneOf(['local', 'slurm', 'sge'] as const, 'local'),
    localWorkers: integer(1, 256, 2),
    /** The matlab executable for MATLAB jobs (absolute path or a name on PATH); empty: MATLAB jobs are refused. */
    matlab: string('', { pattern: /^([^\0\n]*)$/, hint: 'the path of the matlab executable' }),
  }),
  auth: object({
    sessionHours: integer(1, 24 * 30, 12),
    maxFailedLogins: integer(1, 1000, 5),
    failedLoginWindowSeconds: integer(1, 86400, 300),
  }),
})

export type MainConf = ReturnType<typeof mainConfRule.parse>
