import { readFileSync } from 'node:fs'
import type { SmailConf } from '../config/smail-conf'
import { ServiceError, UsageError } from '../core/errors'

export interface Mail {
  to: string
  subject: string
  text: string
}

const ADDRESS = /^[^\s@<>"',;]{1,64}@[A-Za-z0-9.-]{1,253}$/

/** Sends mail through the SMTP server of conf/smail.conf (nodemailer, loaded with the first mail). */
export class Mailer {
  constructor(private readonly conf: SmailConf) {}

  get enabled(): boolean {
    return this.conf.host !== ''
  }

  /** Connects (TLS as set) and logs in when auth is set, sending nothing: what `nora test email` checks first. */
  async verify(): Promise<string> {
    if (!this.enabled) return 'not used (no host in conf/smail.conf)'
    const transport = await this.transport()
    try {
      await transport.verify()
      return `${this.conf.host}:${this.conf.port} (${this.conf.tls}${this.conf.auth.user ? `, as ${this.conf.auth.user}` : ''}) answers`
    } catch (e) {
      throw new ServiceError(`the mail server ${this.conf.host}:${this.conf.port} (${this.conf.tls}) does not answer: ${(e as Error).message}`)
    } finally {
      transport.close()
    }
  }

  private async transport() {
    const { createTransport } = await import('nodemailer')
    const c = this.conf
    return createTransport({
      host: c.host,
      port: c.port,
      secure: c.tls === 'tls',
      requireTLS: c.tls === 'starttls',
      ignoreTLS: c.tls === 'none',
      auth: c.auth.user ? { user: c.auth.user, pass: c.auth.pass } : undefined,
      tls: c.tlsCaFile ? { ca: readFileSync(c.tlsCaFile) } : undefined,
      connectionTimeout: c.timeoutMs,
      greetingTimeout: c.timeoutMs,
      socketTimeout: c.timeoutMs,
    })
  }

  /** Sends one mail; returns the server's answer. Throws UsageError for a bad address, ServiceError when the server fails. */
  async send(mail: Mail): Promise<string> {
    if (!this.enabled) throw new ServiceError('no mail server: set host in conf/smail.conf')
    if (!ADDRESS.test(mail.to)) throw new UsageError(`"${mail.to}" is not a mail address (name@host)`)
    const c = this.conf
    const transport = await this.transport()
    try {
      // Subject and body are plain text: a subject with a line break (from a study name) cannot add headers.
      const info = await transport.sendMail({ from: c.from, to: mail.to, subject: mail.subject.replace(/[\r\n]+/g, ' '), text: mail.text })
      return info.response
    } catch (e) {
      throw new ServiceError(`the mail server ${c.host}:${c.port} (${c.tls}) did not take the mail: ${(e as Error).message}`)
    } finally {
      transport.close()
    }
  }
}
