import { withBase } from './base-path'
/** Small DOM helpers shared by the page scripts. */

/** The element with this id, typed by the caller (the templates promise its kind). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null
}

/** The page's CSRF token (layouts/base.mustache puts it on <body>). */
export function csrf(): string {
  return document.body.dataset.csrf || ''
}

/** The element an event happened on, when it is an Element. */
export function targetOf(ev: Event): Element | null {
  return ev.target instanceof Element ? ev.target : null
}

/** The `error` of a JSON error body, if any. */
export function errorOf(body: unknown): string | undefined {
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error?: unknown }).error
    return e === undefined || e === null || e === '' ? undefined : String(e)
  }
  return undefined
}

/** A JSON request with the CSRF header; throws the server's error (or the status) when it is not ok. */
export async function api<T = unknown>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET') headers['x-csrf-token'] = csrf()
  const res = await fetch(withBase(url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' })
  const data: unknown = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(errorOf(data) || `${res.status} ${res.statusText}`)
  return data as T
}

/** The message of a thrown value. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** An element with properties (textContent, never innerHTML), data-* attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> & { data?: Record<string, string> } = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const { data, ...rest } = props
  const e = document.createElement(tag)
  Object.assign(e, rest)
  for (const [k, v] of Object.entries(data ?? {})) e.dataset[k] = v
  e.append(...children)
  return e
}
