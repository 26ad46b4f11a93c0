/** The vendor scripts the layout loads as globals (htmx, Alpine CSP): the only globals the page scripts use. */

export interface Htmx {
  trigger(el: Element, event: string): void
  ajax(method: string, url: string, opts: { target: string; swap: string }): Promise<void>
}

export interface AlpineGlobal {
  data(name: string, factory: () => object): void
}

declare global {
  interface Window {
    htmx?: Htmx
    Alpine?: AlpineGlobal
  }
}

/** Registers an Alpine CSP component once Alpine starts. */
export function alpineComponent<T extends object>(name: string, factory: () => T & ThisType<T>): void {
  document.addEventListener('alpine:init', () => window.Alpine!.data(name, factory))
}
