/** The Reading tool's DOM builders: an element with a class and text (never HTML), and an action button. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls = '', text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  if (cls) e.className = cls
  if (text !== undefined) e.textContent = text
  return e
}

/** A button whose click the tool's delegated handler finds by `data-reading-action`. */
export function button(text: string, action: string, title = ''): HTMLButtonElement {
  const b = el('button', '', text)
  b.type = 'button'
  b.dataset.readingAction = action
  if (title) b.title = title
  return b
}
