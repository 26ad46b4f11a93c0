// The header's theme button (layouts/base.mustache): switches <html data-theme> between dark and light at once and
// saves the choice as the user's setting (POST /profile/theme), so that every page renders in it from then on.
import { api, byId, messageOf } from '../shared/dom'

document.addEventListener('click', async (ev) => {
  const button = ev.target instanceof Element ? ev.target.closest('#theme-toggle') : null
  if (!button) return
  const root = document.documentElement
  const theme = root.dataset.theme === 'light' ? 'dark' : 'light'
  root.dataset.theme = theme
  try {
    await api('POST', '/profile/theme', { theme })
  } catch (e) {
    button.setAttribute('title', `not saved: ${messageOf(e)}`)
  }
  const select = byId<HTMLSelectElement>('theme-select')
  if (select) select.value = theme
})
