/**
 * The desktop's event bus: typed CustomEvents on `document`. The table, drop zone, autoloaders and viewer are
 * separate modules (and the viewer a separate bundle); they talk only through these events, never through globals.
 */
import type { LoadRequest } from '../viewer/viewer'

export interface NoraEvents {
  /** A study row was selected in the table (click, Enter, ↑/↓). */
  'nora:study-selected': { psid: string; project: string }
  /** Empty the viewer. */
  'nora:clear': undefined
  /** Load one file into the viewer. */
  'nora:load': Partial<LoadRequest>
  /** The table (and the open file tree) should be reloaded: files or tags changed. */
  'nora:table-changed': undefined
  /**
   * A tool of the workstation's tool bar was opened or closed. Its panel is the element `[data-tool-panel="<tool>"]`
   * of the desktop page; the tool (e.g. the viewer bundle's ROI tool, tool "roi") fills it the first time it opens.
   */
  'nora:tool': { tool: string; open: boolean }
  /**
   * Viewer settings changed: by the settings window (the viewer applies them) or by the viewer's own keys (x / y;
   * the settings window shows them). Applying a value the viewer already has changes nothing, so both may listen.
   */
  'nora:settings': { scrollSpeed?: number }
}

export type NoraEvent = keyof NoraEvents

export function emit<K extends NoraEvent>(name: K, ...detail: NoraEvents[K] extends undefined ? [] : [NoraEvents[K]]): void {
  document.dispatchEvent(new CustomEvent(name, { detail: detail[0] }))
}

export function on<K extends NoraEvent>(name: K, handler: (detail: NoraEvents[K] | undefined) => void): void {
  document.addEventListener(name, (ev) => handler((ev as CustomEvent<NoraEvents[K]>).detail))
}

/**
 * True the first time a script named `name` runs on this page: htmx runs a swapped-in region's scripts again, and
 * document listeners must be added once. The mark is a data attribute on <html>, not a global.
 */
export function firstRun(name: string): boolean {
  const root = document.documentElement
  const key = `nora${name[0]!.toUpperCase()}${name.slice(1)}Loaded`
  if (root.dataset[key]) return false
  root.dataset[key] = 'true'
  return true
}
