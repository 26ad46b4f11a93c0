import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { readConfFile, validate } from './load-config'
import { integer, object, oneOf, string } from './schema'

/**
 * conf/smail.conf (optional, as NORA's smail.conf): the SMTP server nora sends notification mails through. Without
 * the file, or with host "", nora sends no mail (notifications stay in the page).
 */
export const smailConfRule = object({
  host: string(''),
  port: integer(1, 65535, 587),
  /** "starttls" (port 587, required), "tls" (implicit TLS, port 465) or "none" (a relay on this machine or the lab's network). */
  tls: oneOf(['starttls', 'tls', 'none'] as const, 'starttls'),
  /** PEM file of the CA that signed the server's certificate; empty: the system's CAs. */
  tlsCaFile: string(''),
  /** The sender: an address, or "Name <address>". */
  from: string('nora@localhost', { pattern: /^[^\r\n]{3,320}$/, hint: 'an address such as "NORA <nora@lab.example.org>"' }),
  /** SMTP AUTH; user "" sends without. */
  auth: object({ user: string(''), pass: string('') }),
  /** Give up on a server that does not answer for this long. */
  timeoutMs: integer(100, 300_000, 15_000),
})

export type SmailConf = ReturnType<typeof smailConfRule.parse>

/** conf/smail.conf, validated; no mail (host "") when the file is absent. */
export function loadSmailConf(confDir: string): SmailConf {
  const path = join(confDir, 'smail.conf')
  return validate(smailConfRule, existsSync(path) ? readConfFile(path, 'conf/smail.conf') : {}, 'conf/smail.conf')
}
