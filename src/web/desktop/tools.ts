// The workstation's vertical tool bar. A tool button opens its panel (`[data-tool-panel="<tool>"]`, beside the
// viewports) and closes any other, and tells the tool on the bus: `nora:tool` { tool, open }. The tool (e.g. the
// viewer bundle's ROI tool) fills its panel itself the first time it opens. Disabled buttons are tools to come.
// A tool may keep another open beside it (data-tool-beside): a reading session draws ROIs with the ROI tool's pens.
import { emit } from '../shared/bus'
import { targetOf } from '../shared/dom'

const panelOf = (tool: string) => document.querySelector<HTMLElement>(`[data-tool-panel="${CSS.escape(tool)}"]`)
const buttonOf = (tool: string) => document.querySelector<HTMLElement>(`.tool-bar [data-tool="${CSS.escape(tool)}"]`)
const openTools = () => [...document.querySelectorAll<HTMLElement>('[data-tool-panel]:not([hidden])')].map((p) => p.dataset.toolPanel!)
/**
 * Tools whose panels stay open together: a panel's `data-tool-beside="roi"` (set by its tool, e.g. a reading session
 * that takes ROIs) keeps it open when the ROI tool opens, and keeps the ROI tool open when it opens. The panel
 * column then stacks them (`data-open` counts the open panels).
 */
const beside = (tool: string) => (panelOf(tool)?.dataset.toolBeside ?? '').split(/\s+/).filter(Boolean)
const together = (a: string, b: string) => beside(a).includes(b) || beside(b).includes(a)

/** Opens or closes a tool's panel (toggles when `open` is not given); answers whether it is open now. */
export function setTool(tool: string, open?: boolean): boolean {
  const panel = panelOf(tool)
  if (!panel) return false
  const opening = open ?? panel.hidden
  if (opening === !panel.hidden) return opening
  if (opening) for (const other of openTools()) if (other !== tool && !together(tool, other)) setTool(other, false)
  panel.hidden = !opening
  buttonOf(tool)?.setAttribute('aria-pressed', String(opening))
  const box = panel.closest<HTMLElement>('[data-tool-panels]')
  if (box) {
    box.hidden = openTools().length === 0
    box.dataset.open = String(openTools().length)
  }
  emit('nora:tool', { tool, open: opening })
  return opening
}

export function wireTools(): void {
  document.addEventListener('click', (ev) => {
    const b = targetOf(ev)?.closest<HTMLButtonElement>('.tool-bar [data-tool]')
    if (b && !b.disabled) setTool(b.dataset.tool!)
  })
  // Switching projects replaces the workstation: the tools that were open are told they closed.
  document.addEventListener('htmx:beforeSwap', (ev) => {
    const target = (ev as CustomEvent<{ target?: Element }>).detail?.target
    if (target?.id !== 'main') return
    for (const tool of openTools()) emit('nora:tool', { tool, open: false })
  })
}
