import { ldapConfRule } from './ldap-conf'
import { boolean, integer, ipAddress, listOf, object, oneOf, string } from './schema'

const port = (fallback: number) => integer(1, 65535, fallback)

/** conf/main.conf: every key nora reads, with its default. Paths are relative to NORA_HOME. */
export const mainConfRule = object({
  site: object({ name: string('NORA') }),
  http: object({
    host: string('127.0.0.1'),
    port: port(8080),
    /** Public URL printed by `nora start` when nora sits behind a proxy. */
    publicUrl: string(''),
    /**
     * The path nora answers under (NORA's "/godzilla/"): pages, API, static files, URL calls and shared links all move
     * under it, `/` redirects there and anything else is 404. "/" (default): the whole host.
     */
    basePath: string('/', { pattern: /^\/?(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*(?:[A-Za-z0-9_-][A-Za-z0-9._-]*)?$/, hint: 'a path such as "/godzilla/" (letters, digits, . _ -; "/" for none)' }),
    /** The largest upload taken (index.php, imports, desktop drops), in MB; larger ones are refused with 413. */
    maxUploadMb: integer(1, 1 << 24, 20480),
    /**
     * Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client; empty: the header is ignored
     * and the socket's peer is the client (failed logins count against it).
     */
    trustedProxies: listOf(ipAddress({ cidr: true })),
  }),
  dicom: object({
    enabled: boolean(true),
    aet: string('NORA', { pattern: /^[\x20-\x7e]{1,16}$/, hint: 'an AE title of 1-16 printable characters' }),
    host: string('0.0.0.0'),
    port: port(11112),
    /** A study is handed to the importer when no instance arrived for this long (or its sender released). */
    quietSeconds: integer(1, 86400, 30),
    /** The largest P-DATA-TF PDU nora takes (and advertises, capped at dcmjs-dimse's 256 KB); longer ones are aborted. */
    maxPdu: integer(4096, 1 << 24, 131072),
    /** An association that sends nothing for this long is aborted. */
    associationTimeoutSeconds: integer(1, 3600, 60),
    /** Associations served at once; more are answered A-ASSOCIATE-RJ (transient, local limit exceeded). */
    maxAssociations: integer(1, 1024, 32),
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
  data: object({
    root: string('data'),
    /** Free space (MB) kept on the data root's disk: an upload that would leave less is refused with 507. */
    minFreeMb: integer(0, 1 << 30, 1024),
  }),
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
    /**
     * The unprivileged account job code runs as when nora runs as root (install.sh creates nora-jobs); empty: nora-jobs
     * if it exists, else jobs are refused (never run as root). When nora is not root, jobs run as nora's own account.
     */
    runAs: string('', { pattern: /^([a-z_][a-z0-9_.-]{0,31})?$/, hint: 'an account name (lower case, e.g. "nora-jobs"), or "" for the default' }),
  }),
  auth: object({
    sessionHours: integer(1, 24 * 30, 12),
    /** Failed logins per window for one user from one address, before that user is refused from that address. */
    maxFailedLogins: integer(1, 1000, 5),
    /** For one user from any address (guessing from many addresses). */
    maxFailedLoginsPerUser: integer(1, 10000, 20),
    /** From one address for any users (one address trying many names; behind an untrusted proxy: everyone). */
    maxFailedLoginsPerAddress: integer(1, 100000, 50),
    failedLoginWindowSeconds: integer(1, 86400, 300),
    /** LDAP / Active Directory login (src/auth/ldap-directory.ts); url "" (default): local accounts only. */
    ldap: ldapConfRule,
  }),
})

export type MainConf = ReturnType<typeof mainConfRule.parse>
