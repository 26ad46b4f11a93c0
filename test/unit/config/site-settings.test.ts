import { describe, expect, test } from 'bun:test'
import { LIVE_SETTINGS, SiteSettings } from '../../../src/config/site-settings'
import { mainConfRule } from '../../../src/config/main-conf'
import { smailConfRule } from '../../../src/config/smail-conf'
import { migrate } from '../../../src/store/migrate'
import { SiteSettingsRepo } from '../../../src/store/repos/site-settings-repo'
import { SqliteDb } from '../../../src/store/sqlite-db'

async function fresh() {
  const db = SqliteDb.open(':memory:')
  await migrate(db)
  const repo = new SiteSettingsRepo(db)
  const main = mainConfRule.parse({}, 'main.conf')
  const smail = smailConfRule.parse({ host: 'mail.lab.example.org', port: 25, tls: 'none' }, 'smail.conf')
  const logged: string[] = []
  const settings = new SiteSettings({ repo, main, smailFile: () => smail, log: (l) => logged.push(l) })
  return { db, repo, main, settings, logged }
}

describe('live site settings', () => {
  test('set: saved, in the running configuration at once, listed with who changed it; reset: the conf file value again', async () => {
    const { repo, main, settings } = await fresh()
    await settings.set('auth.sessionHours', ' 2 ', 'root')
    expect(main.auth.sessionHours).toBe(2)
    expect((await repo.all()).map((r) => [r.name, r.value, r.updatedBy])).toEqual([['auth.sessionHours', '2', 'root']])
    const row = (await settings.list()).find((s) => s.name === 'auth.sessionHours')!
    expect(row).toMatchObject({ value: '2', confValue: '12', changed: { by: 'root' } })
    await settings.reset('auth.sessionHours')
    expect(main.auth.sessionHours).toBe(12)
    expect(await repo.all()).toEqual([])
  })

  test('wrong values and settings that need a restart are refused, saying what they take', async () => {
    const { main, settings } = await fresh()
    await expect(settings.set('auth.sessionHours', '0', 'root')).rejects.toThrow('auth.sessionHours: "0" is not allowed; it takes integer 1-720')
    await expect(settings.set('dicom.quietSeconds', '1e3', 'root')).rejects.toThrow('it takes integer 1-86400')
    await expect(settings.set('mail.tls', 'ssl', 'root')).rejects.toThrow('one of "starttls", "tls", "none"')
    await expect(settings.set('mail.from', 'a\r\nBcc: x@y', 'root')).rejects.toThrow('mail.from')
    await expect(settings.set('http.port', '80', 'root')).rejects.toThrow('"http.port" is not a setting that can change while nora runs')
    expect(main.auth.sessionHours).toBe(12)
    expect(main.http.port).toBe(8080)
  })

  test('mail settings override conf/smail.conf; apply at start restores every saved value and skips one no longer valid', async () => {
    const { db, repo, settings } = await fresh()
    expect(settings.mailConf()).toMatchObject({ host: 'mail.lab.example.org', port: 25, tls: 'none' })
    await settings.set('mail.port', '587', 'root')
    await settings.set('mail.tls', 'starttls', 'root')
    expect(settings.mailConf()).toMatchObject({ host: 'mail.lab.example.org', port: 587, tls: 'starttls' })
    await settings.set('dicom.pullMaxAttempts', '9', 'root')
    await repo.set('auth.maxFailedLogins', 'lots', 'someone') // a value written by hand
    const main = mainConfRule.parse({}, 'main.conf')
    const logged: string[] = []
    const after = new SiteSettings({ repo, main, smailFile: () => smailConfRule.parse({}, 'smail.conf'), log: (l) => logged.push(l) })
    await after.apply()
    expect(main.dicom.pullMaxAttempts).toBe(9)
    expect(main.auth.maxFailedLogins).toBe(5)
    expect(logged).toEqual(['site setting auth.maxFailedLogins: saved value ignored: auth.maxFailedLogins: "lots" is not allowed; it takes integer 1-1000'])
    expect(after.mailConf()).toMatchObject({ host: '', port: 587, tls: 'starttls' })
    await db.close()
  })

  test('every live setting names a key that exists in main.conf or smail.conf', () => {
    const main = mainConfRule.parse({}, 'main.conf') as unknown as Record<string, Record<string, unknown>>
    const smail = smailConfRule.parse({}, 'smail.conf') as unknown as Record<string, unknown>
    for (const s of LIVE_SETTINGS) {
      const [section, key] = s.name.split('.') as [string, string]
      expect(section === 'mail' ? key in smail : key in (main[section] ?? {})).toBe(true)
    }
  })
})
