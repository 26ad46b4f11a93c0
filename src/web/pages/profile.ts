// The profile page (templates/pages/profile.mustache): the copy button of a token shown once; the local file cache's usage.
import { byId, targetOf } from '../shared/dom'
import './shared-links-list'
import { clearFileCache, fileCacheUsage } from '../shared/file-cache'

async function copyFrom(input: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(input.value)
    return true
  } catch {
    // No clipboard API (a page over plain HTTP on another host): copy the selection.
    input.select()
    return document.execCommand('copy')
  }
}

document.addEventListener('click', async (ev) => {
  const button = targetOf(ev)?.closest<HTMLButtonElement>('[data-copy]')
  const input = button && byId<HTMLInputElement>(button.dataset.copy!)
  if (!input) return
  const ok = await copyFrom(input)
  const state = byId('copy-state')
  if (state) state.textContent = ok ? 'copied' : 'select the token and copy it (Ctrl+C)'
})

// The local file cache of this browser (shared/file-cache.ts): what it holds, and a button that empties it.
const mbText = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`
async function showCacheUsage() {
  const el = byId('cache-usage')
  if (!el) return
  if (typeof caches === 'undefined') {
    el.textContent = 'This browser has no Cache Storage here (it needs HTTPS or localhost): files are not cached.'
    return
  }
  const u = await fileCacheUsage()
  el.textContent = `This browser holds ${u.files} file${u.files === 1 ? '' : 's'}, ${mbText(u.bytes)}.`
}
document.addEventListener('click', async (ev) => {
  if (!targetOf(ev)?.closest('#clear-cache')) return
  await clearFileCache()
  await showCacheUsage()
})
void showCacheUsage()
