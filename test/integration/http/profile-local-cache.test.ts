import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startApp, type Harness } from './harness'

const form = (fields: Record<string, string>, cookie: string, json = false) => ({
  method: 'POST',
  body: new URLSearchParams(fields),
  headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...(json ? { accept: 'application/json' } : {}) },
  redirect: 'manual' as const,
})

// The profile's "local cache size for remote users": a budget per user (user_settings) that the viewer reads.
for (const dialect of ['sqlite', 'mysql'] as const)
  describe(`profile: local cache size (${dialect})`, () => {
    let h: Harness
    beforeAll(async () => {
      h = await startApp(dialect)
      await h.user('ann', 'ann-password-1')
      await h.user('bob', 'bob-password-1')
    }, 60_000)
    afterAll(async () => h?.close())

    const budget = async (cookie: string) => (await (await h.request('/profile/local-cache', { headers: { cookie, accept: 'application/json' } })).json()) as { mb: number }

    test('0 (off) by default; saved per user from the profile form; the profile shows it', async () => {
      const ann = await h.login('ann', 'ann-password-1')
      const bob = await h.login('bob', 'bob-password-1')
      expect(await budget(ann.cookie)).toEqual({ mb: 0 })
      expect(await (await h.request('/profile', { headers: { cookie: ann.cookie } })).text()).toMatch(/id="cache-mb"[^>]*value="0"/)
      const res = await h.request('/profile/local-cache', form({ _csrf: ann.csrf, mb: '512' }, ann.cookie))
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/profile?done=cache')
      expect(await budget(ann.cookie)).toEqual({ mb: 512 })
      expect(await budget(bob.cookie)).toEqual({ mb: 0 })
      const page = await (await h.request('/profile?done=cache', { headers: { cookie: ann.cookie } })).text()
      expect(page).toMatch(/id="cache-mb"[^>]*value="512"/)
      expect(page).toContain('Your local cache size was saved')
      // JSON callers get the value back.
      const json = await h.request('/profile/local-cache', form({ _csrf: ann.csrf, mb: '0' }, ann.cookie, true))
      expect(await json.json()).toEqual({ mb: 0 })
      expect(await budget(ann.cookie)).toEqual({ mb: 0 })
    })

    test('a wrong size is a 400 saying what it may be, and changes nothing; CSRF and a session are needed', async () => {
      const ann = await h.login('ann', 'ann-password-1')
      await h.request('/profile/local-cache', form({ _csrf: ann.csrf, mb: '64' }, ann.cookie))
      for (const mb of ['-1', '1.5', 'lots', '100001', '']) {
        const res = await h.request('/profile/local-cache', form({ _csrf: ann.csrf, mb }, ann.cookie))
        expect(res.status, mb).toBe(400)
        expect(await res.text()).toContain('a whole number of MB from 0 (no cache) to 100000')
      }
      expect(await budget(ann.cookie)).toEqual({ mb: 64 })
      expect((await h.request('/profile/local-cache', form({ mb: '8' }, ann.cookie))).status).toBe(403)
      expect(await budget(ann.cookie)).toEqual({ mb: 64 })
      expect((await h.request('/profile/local-cache', { headers: { accept: 'application/json' } })).status).toBe(401)
    })
  })
