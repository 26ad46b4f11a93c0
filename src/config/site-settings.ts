import { UsageError } from '../core/errors'
import type { SiteSettingRecord, SiteSettingsRepo } from '../store/repos/site-settings-repo'
import type { MainConf } from './main-conf'
import { integer, oneOf, string, type Rule } from './schema'
import type { SmailConf } from './smail-conf'

/** One setting that takes effect without a restart: its code reads it each time it is used. */
interface LiveSetting {
  name: string
  help: string
  kind: 'integer' | 'text' | 'choice'
  rule: Rule<number> | Rule<string>
  choices?: readonly string[]
}

const int = (name: string, min: number, max: number, help: string): LiveSetting => ({ name, help, kind: 'integer', rule: integer(min, max) })

/**
 * The settings a site admin may change in the admin page while nora runs. Everything else in conf/*.conf (ports,
 * database, data root, workers, the job queue, LDAP) is read once at start: change the file and restart.
 */
export const LIVE_SETTINGS: readonly LiveSetting[] = [
  int('auth.sessionHours', 1, 24 * 30, 'how long a sign-in lasts (new sessions)'),
  int('auth.maxFailedLogins', 1, 1000, 'failed logins of one user from one address before they are refused for a while'),
  int('auth.maxFailedLoginsPerUser', 1, 10000, 'failed logins of one user from any address'),
  int('auth.maxFailedLoginsPerAddress', 1, 100000, 'failed logins from one address for any users'),
  int('auth.failedLoginWindowSeconds', 1, 86400, 'the window failed logins are counted in'),
  int('dicom.quietSeconds', 1, 86400, 'a received study is imported once no instance arrived for this long'),
  int('dicom.pullParallel', 1, 32, 'PACS pulls: studies moved at once'),
  int('dicom.pullMaxAttempts', 1, 100, 'PACS pulls: attempts per study'),
  int('dicom.pullRetrySeconds', 1, 86400, 'PACS pulls: first retry delay (doubled each time)'),
  { name: 'mail.host', help: 'SMTP server for notification mails; empty: no mail (conf/smail.conf host)', kind: 'text', rule: string(undefined, { pattern: /^[A-Za-z0-9.:_-]{0,253}$/, hint: 'a host name or address, or empty' }) },
  int('mail.port', 1, 65535, 'SMTP port (587 STARTTLS, 465 TLS, 25 relay)'),
  { name: 'mail.tls', help: 'starttls, tls (implicit) or none', kind: 'choice', rule: oneOf(['starttls', 'tls', 'none'] as const), choices: ['starttls', 'tls', 'none'] },
  { name: 'mail.from', help: 'the sender of notification mails', kind: 'text', rule: string(undefined, { pattern: /^[^\r\n]{3,320}$/, hint: 'an address such as "NORA <nora@lab.example.org>"' }) },
]

const BY_NAME = new Map(LIVE_SETTINGS.map((s) => [s.name, s]))

export interface SiteSettingView {
  name: string
  help: string
  kind: LiveSetting['kind']
  choices: readonly string[]
  /** In effect now. */
  value: string
  /** What conf/*.conf says. */
  confValue: string
  /** Changed in the admin page (by whom, when); undefined: the conf file's value. */
  changed?: { by: string; at: number }
}

/**
 * The live settings: the conf files' values, overridden by what a site admin saved (site_settings table). `apply` at
 * start puts the saved values into the running configuration; `set` saves and applies one at once.
 */
export class SiteSettings {
  /** The conf files' values, before any override. */
  private readonly original = new Map<string, string>()

  constructor(
    private readonly d: {
      repo: Pick<SiteSettingsRepo, 'all' | 'set' | 'remove'>
      /** The running configuration (mutated in place: its readers see the change at their next use). */
      main: MainConf
      /** conf/smail.conf as the file says now. */
      smailFile: () => SmailConf
      log?: (line: string) => void
    },
  ) {
    for (const s of LIVE_SETTINGS) if (!s.name.startsWith('mail.')) this.original.set(s.name, String(this.read(s.name)))
  }

  private overrides = new Map<string, string>()

  /** Loads the saved values into the running configuration (at start). A value no longer valid is skipped and logged. */
  async apply(): Promise<void> {
    let saved: SiteSettingRecord[]
    try {
      saved = await this.d.repo.all()
    } catch (e) {
      // A database not migrated yet (nora --admin migrate): the conf files alone.
      this.d.log?.(`site settings not read (${(e as Error).message}); the conf files' values apply`)
      return
    }
    for (const r of saved) {
      try {
        this.put(r.name, this.parse(r.name, r.value))
      } catch (e) {
        this.d.log?.(`site setting ${r.name}: saved value ignored: ${(e as Error).message}`)
      }
    }
  }

  async list(): Promise<SiteSettingView[]> {
    const saved = new Map<string, SiteSettingRecord>((await this.d.repo.all()).map((r) => [r.name, r]))
    const smail = this.d.smailFile()
    return LIVE_SETTINGS.map((s) => {
      const r = saved.get(s.name)
      const confValue = s.name.startsWith('mail.') ? String(smail[s.name.slice(5) as 'host']) : (this.original.get(s.name) ?? '')
      return { name: s.name, help: s.help, kind: s.kind, choices: s.choices ?? [], value: this.overrides.get(s.name) ?? confValue, confValue, ...(r && { changed: { by: r.updatedBy, at: r.updatedAt } }) }
    })
  }

  /** Saves and applies one setting; UsageError naming the setting and what it takes when the value is wrong. */
  async set(name: string, value: string, by: string): Promise<void> {
    const parsed = this.parse(name, value.trim())
    await this.d.repo.set(name, String(parsed), by)
    this.put(name, parsed)
  }

  /** Back to the conf file's value. */
  async reset(name: string): Promise<void> {
    if (!BY_NAME.has(name)) throw new UsageError(`"${name}" is not a setting that can change while nora runs`)
    await this.d.repo.remove(name)
    this.overrides.delete(name)
    if (!name.startsWith('mail.')) this.write(name, this.parse(name, this.original.get(name)!))
  }

  /** The mail server as it is now: conf/smail.conf with the saved mail.* values. */
  mailConf(): SmailConf {
    const conf = { ...this.d.smailFile() }
    for (const [name, value] of this.overrides) {
      if (!name.startsWith('mail.')) continue
      const key = name.slice(5) as 'host' | 'port' | 'tls' | 'from'
      ;(conf as Record<string, unknown>)[key] = key === 'port' ? Number(value) : value
    }
    return conf
  }

  private parse(name: string, value: string): number | string {
    const s = BY_NAME.get(name)
    if (!s) throw new UsageError(`"${name}" is not a setting that can change while nora runs; edit conf/*.conf and restart for the others`)
    const raw = s.kind === 'integer' ? (/^\d{1,12}$/.test(value) ? Number(value) : value) : value
    try {
      return s.rule.parse(raw, name)
    } catch {
      throw new UsageError(`${name}: "${value}" is not allowed; it takes ${s.rule.describe}`)
    }
  }

  private put(name: string, value: number | string): void {
    this.overrides.set(name, String(value))
    if (!name.startsWith('mail.')) this.write(name, value)
  }

  private read(name: string): unknown {
    const [section, key] = name.split('.') as [keyof MainConf, string]
    return (this.d.main[section] as Record<string, unknown>)[key]
  }

  private write(name: string, value: number | string): void {
    const [section, key] = name.split('.') as [keyof MainConf, string]
    ;(this.d.main[section] as Record<string, unknown>)[key] = value
  }
}
