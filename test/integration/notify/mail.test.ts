import { afterAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Mailer } from '../../../src/notify/mailer'
import { smailConfRule } from '../../../src/config/smail-conf'
import { cliHome } from '../cli/cli-harness'
import { serviceOrSkip, titled } from '../../services/slurm'
import { startSmtpSink, type SmtpSink } from '../../services/smtp-sink'

const up = await serviceOrSkip('aiosmtpd', startSmtpSink)

describe.skipIf(!up.handle)(titled('mail through a real SMTP server (aiosmtpd on loopback)', up.skip), () => {
  const sink = up.handle as SmtpSink
  afterAll(() => sink?.stop())

  test('nora test email ADDRESS sends a test mail the server stores; without an address it only connects', async () => {
    const cli = await cliHome('sqlite')
    try {
      writeFileSync(join(cli.home, 'conf', 'smail.conf'), `{ host: "127.0.0.1", port: ${sink.port}, tls: "none", from: "NORA <nora@lab.example.org>" }`)
      const before = sink.messages().length
      const check = await cli.nora(['test', 'email'])
      expect(check.stdout).toContain(`email  OK   127.0.0.1:${sink.port} (none) answers`)
      expect(sink.messages().length).toBe(before)
      const r = await cli.nora(['test', 'email', 'bob@example.org'])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('mail to bob@example.org taken: 250')
      const mail = sink.messages().at(-1)!
      expect(mail).toMatch(/^To: bob@example\.org$/m)
      expect(mail).toMatch(/^From: NORA <nora@lab\.example\.org>$/m)
      expect(mail).toMatch(/^Subject: NORA: test mail$/m)
      expect(mail).toContain('sent by nora test email')
      const bad = await cli.nora(['test', 'email', 'not an address'])
      expect(bad.code).toBe(1)
      expect(bad.stdout).toContain('"not an address" is not a mail address')
    } finally {
      await cli.close()
    }
  }, 180_000)

  test('a subject with a line break cannot add a header; a server that is down gives a clear error', async () => {
    const mailer = new Mailer(smailConfRule.parse({ host: '127.0.0.1', port: sink.port, tls: 'none' }, ''))
    await mailer.send({ to: 'carol@example.org', subject: 'Study P1\r\nBcc: eve@example.org', text: 'x' })
    const mail = sink.messages().at(-1)!
    expect(mail).not.toMatch(/^Bcc:/m)
    expect(mail).toMatch(/^X-RcptTo: carol@example\.org$/m)
    const down = new Mailer(smailConfRule.parse({ host: '127.0.0.1', port: 1, tls: 'none', timeoutMs: 2000 }, ''))
    await expect(down.send({ to: 'carol@example.org', subject: 's', text: 't' })).rejects.toThrow('the mail server 127.0.0.1:1 (none) did not take the mail')
  }, 60_000)
})
