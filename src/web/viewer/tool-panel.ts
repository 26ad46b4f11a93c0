import { emit } from '../shared/bus'

/**
 * The panel of a viewer tool (`[data-tool-panel="<tool>"]`, placed by the workstation beside the viewports). Where a
 * page has no workstation tool bar, the panel is made under the viewer's toolbar, with a button there to open it.
 */
export function toolPanelElement(root: HTMLElement, tool: string, label: string, button: { text: string; title: string }): HTMLElement {
  const existing = document.querySelector<HTMLElement>(`[data-tool-panel="${tool}"]`)
  if (existing) return existing
  const panel = document.createElement('section')
  panel.dataset.toolPanel = tool
  panel.setAttribute('aria-label', label)
  panel.hidden = true
  root.querySelector('.viewer-toolbar')?.after(panel)
  const open = document.createElement('button')
  open.type = 'button'
  open.dataset.tool = tool
  open.title = button.title
  open.textContent = button.text
  open.setAttribute('aria-pressed', 'false')
  open.addEventListener('click', () => emit('nora:tool', { tool, open: panel.hidden }))
  root.querySelector('.viewer-toolbar [data-action="help"]')?.before(open)
  return panel
}
