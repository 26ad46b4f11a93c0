import { chromium, type Browser, type Page } from 'playwright-core'

/** Debian's Chromium, headless; never a downloaded browser. Fails (never skips) when it is missing. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}

/** Console errors and CSP violations a page reports: a test asserts this stays empty. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(String(e)))
  return errors
}

export async function logIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url)
  await page.fill('input[name=username]', username)
  await page.fill('input[name=password]', password)
  await page.click('button[type=submit]')
  await page.waitForSelector('#project-list')
}
