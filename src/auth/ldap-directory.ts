import { readFileSync } from 'node:fs'
import type { Client, Entry } from 'ldapts'
import type { LdapConf } from '../config/ldap-conf'
import { NoraError, ServiceError } from '../core/errors'
import { escapeDnValue, escapeFilterValue, fillTemplate } from './ldap-escape'

/** What the directory says about a user whose password it accepted. */
export interface DirectoryEntry {
  dn: string
  /** The login name as the directory spells it (usernameAttribute), or as typed when the entry has none. */
  username: string
  displayName: string
  email: string
  /** DNs of the user's groups (memberOf, and the group search when configured). */
  groups: string[]
}

/** The directory cannot be reached (refused, timed out, TLS failed): local accounts still work. */
export class DirectoryUnavailableError extends ServiceError {}

// ldapts is loaded with the first login (not at every CLI start); its result-code errors are the directory's answers.
let ldapts: typeof import('ldapts') | undefined
const isResultCode = (e: unknown) => ldapts !== undefined && e instanceof ldapts.ResultCodeError

/**
 * An LDAP / Active Directory server (ldapts): binds as the user (DN template) or searches for the user with a
 * service account and then binds as what it found. Every value typed by a user is escaped for the DN or filter it
 * goes into; an empty password never reaches a bind (it would be an unauthenticated bind, which succeeds).
 */
export class LdapDirectory {
  constructor(readonly conf: LdapConf) {}

  get url(): string {
    return this.conf.url
  }

  /** The user's entry when the password is right; undefined for a wrong password or an unknown user. */
  async authenticate(username: string, password: string): Promise<DirectoryEntry | undefined> {
    if (!password || !username) return undefined
    return this.session(async (c) => {
      const template = this.conf.bindDn.includes('{user}')
      let entry: Entry | undefined
      if (template) {
        const dn = fillTemplate(this.conf.bindDn, { user: username }, escapeDnValue)
        if (!(await bindAs(c, dn, password))) return undefined
        entry = (await c.search(dn, { scope: 'base', attributes: this.attributes() })).searchEntries[0]
        if (!entry) return undefined
        return this.describe(c, entry, username)
      }
      await this.serviceBind(c)
      const filter = fillTemplate(this.conf.searchFilter, { user: username }, escapeFilterValue)
      const found = (await c.search(this.conf.searchBase, { scope: 'sub', filter, attributes: this.attributes(), sizeLimit: 2 })).searchEntries
      // None, or more than one entry for one name: no login (binding as the first of two would be a guess).
      if (found.length !== 1) return undefined
      entry = found[0]!
      const described = await this.describe(c, entry, username)
      return (await bindAs(c, entry.dn, password)) ? described : undefined
    })
  }

  /** Connects (StartTLS when set) and binds the service account if there is one: what `nora test ldap` checks first. */
  async probe(): Promise<string> {
    const said = await this.session(async (c) => {
      await this.serviceBind(c)
      const tls = this.conf.url.startsWith('ldaps:') ? 'ldaps' : this.conf.startTls ? 'StartTLS' : 'no TLS'
      const mode = this.conf.bindDn.includes('{user}') ? `binds as ${this.conf.bindDn}` : `searches ${this.conf.searchBase} as ${this.conf.bindDn || 'anonymous'}`
      return `${this.conf.url} answers (${tls}); ${mode}`
    })
    return said ?? `${this.conf.url} refused the connection setup`
  }

  private attributes(): string[] {
    return [this.conf.usernameAttribute, 'cn', 'displayName', 'mail', 'memberOf']
  }

  private async serviceBind(c: Client): Promise<void> {
    // An empty bindDn is an anonymous search, a deliberate setup; an empty password with a bindDn would be one too.
    if (!this.conf.bindDn) return
    if (!this.conf.bindPassword) throw new ServiceError(`auth.ldap.bindPassword is empty: the service account ${this.conf.bindDn} would bind anonymously; set its password`)
    await c.bind(this.conf.bindDn, this.conf.bindPassword).catch((e) => {
      throw isResultCode(e) ? new ServiceError(`the directory at ${this.conf.url} refused the service account ${this.conf.bindDn} (${(e as Error).message}); check auth.ldap.bindDn and bindPassword. Local accounts still work`) : e
    })
  }

  private async describe(c: Client, entry: Entry, typed: string): Promise<DirectoryEntry> {
    const groups = values(entry, 'memberOf')
    if (this.conf.groupSearchBase) {
      const filter = fillTemplate(this.conf.groupFilter, { dn: entry.dn, user: typed }, escapeFilterValue)
      const found = await c.search(this.conf.groupSearchBase, { scope: 'sub', filter, attributes: ['1.1'] })
      groups.push(...found.searchEntries.map((g) => g.dn))
    }
    return {
      dn: entry.dn,
      username: values(entry, this.conf.usernameAttribute)[0] ?? typed,
      displayName: values(entry, 'displayName')[0] ?? values(entry, 'cn')[0] ?? '',
      email: values(entry, 'mail')[0] ?? '',
      groups: [...new Set(groups)],
    }
  }

  /**
   * Runs `work` on a fresh connection and closes it. An LDAP result code (wrong password, no such entry, a size
   * limit) means "no login"; anything else (refused, timed out, TLS) means the directory does not answer.
   */
  private async session<T>(work: (c: Client) => Promise<T | undefined>): Promise<T | undefined> {
    ldapts ??= await import('ldapts')
    const { Client } = ldapts
    const ca = this.conf.tlsCaFile ? readFileSync(this.conf.tlsCaFile) : undefined
    const tlsOptions = ca ? { ca } : {}
    const c = new Client({ url: this.conf.url, timeout: this.conf.timeoutMs, connectTimeout: this.conf.timeoutMs, tlsOptions, strictDN: false })
    let timer: ReturnType<typeof setTimeout> | undefined
    // A last guard: however many round trips, the whole login waits at most four timeouts.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${(4 * this.conf.timeoutMs) / 1000} s`)), 4 * this.conf.timeoutMs)
    })
    try {
      return await Promise.race([
        (async () => {
          if (this.conf.startTls) await c.startTLS(tlsOptions)
          return work(c)
        })(),
        deadline,
      ])
    } catch (e) {
      if (isResultCode(e)) return undefined
      if (e instanceof NoraError) throw e
      throw new DirectoryUnavailableError(`the directory at ${this.conf.url} does not answer (${(e as Error).message || (e as { code?: string }).code}); local accounts still work`)
    } finally {
      clearTimeout(timer)
      c.unbind().catch(() => {})
    }
  }
}

/** True when the directory accepts the password for `dn`; false for its refusal (wrong password, no such DN). */
async function bindAs(c: Client, dn: string, password: string): Promise<boolean> {
  try {
    await c.bind(dn, password)
    return true
  } catch (e) {
    if (isResultCode(e)) return false
    throw e
  }
}

/** An attribute's values as strings, its name matched without regard to case (AD answers "sAMAccountName"). */
function values(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase())
  const v = key === undefined || key === 'dn' ? undefined : entry[key]
  if (v === undefined) return []
  return (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x : x.toString('utf8')))
}
