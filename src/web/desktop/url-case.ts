// A URL call's case (index.php?project=P&call={...} redirects to /?project=P#case={"pid","sid","selmode","preset"}):
// the desktop selects that study (or the patient's first study) in the table, which shows its files, and loads the
// named autoloader preset for it. When the row is not on the table's page, the table is searched for the patient
// first. selmode "patient" (the server has checked it: study or patient) narrows the table to the patient by its
// patients_id filter and checks all of the patient's studies (the rows the tag menu acts on) before opening the
// study. The fragment is then dropped from the address bar.
import { byId } from '../shared/dom'
import { autoloadNamed } from './autoloader'

interface OpenCase {
  pid?: string
  sid?: string
  selmode?: string
  preset?: string
}

function caseOf(hash: string): OpenCase | undefined {
  const m = /^#case=(.+)$/.exec(hash)
  if (!m) return undefined
  try {
    const v: unknown = JSON.parse(decodeURIComponent(m[1]!))
    return v && typeof v === 'object' ? (v as OpenCase) : undefined
  } catch {
    return undefined
  }
}

function rowFor(c: OpenCase): HTMLElement | undefined {
  const rows = [...document.querySelectorAll<HTMLElement>('#table-body tr.study')]
  if (c.sid !== undefined) return rows.find((r) => r.dataset.psid === `${c.pid}#${c.sid}`)
  return rows.find((r) => r.dataset.psid?.startsWith(`${c.pid}#`))
}

function say(text: string) {
  const el = byId('autoload-state') ?? byId('table-note')
  if (el) el.textContent = text
}

function open(c: OpenCase, row: HTMLElement) {
  if (c.preset) autoloadNamed(row.dataset.psid!, c.preset)
  row.click()
  row.scrollIntoView({ block: 'nearest' })
}

/** Opens the case of the URL's fragment, if any: once per page load, after htmx has wired the page (the row's hx-get). */
export function wireUrlCase(): void {
  // A deferred script runs before DOMContentLoaded (readyState "interactive"), and htmx wires the page on it.
  if (document.readyState !== 'complete') document.addEventListener('DOMContentLoaded', openFromHash, { once: true })
  else openFromHash()
}

/** The rows of the patient's studies on the table's page. */
const patientRows = (pid: string) => [...document.querySelectorAll<HTMLElement>('#table-body tr.study')].filter((r) => r.dataset.psid?.startsWith(`${pid}#`))

/** selmode patient: the table filtered to the patient, all of its studies checked, then the study opened. */
function openPatient(c: OpenCase & { pid: string }): void {
  const bar = byId<HTMLInputElement>('bar-patients_id')
  if (!bar || !window.htmx) return say('the table has no patients_id filter: cannot select the patient')
  // The answer to this filter's request (not another htmx request settling meanwhile, e.g. the header's bell).
  const settled = (ev: Event) => {
    if ((ev as CustomEvent<{ requestConfig?: { elt?: Element } }>).detail?.requestConfig?.elt !== bar) return
    document.removeEventListener('htmx:afterSettle', settled)
    const mine = patientRows(c.pid)
    if (!mine.length) return say(`patient ${c.pid} is not in this project`)
    for (const r of mine) {
      const box = r.querySelector<HTMLInputElement>('.row-check')
      if (box) box.checked = true
    }
    const row = rowFor(c)
    if (!row) return say(`no study ${c.sid ?? ''} of patient ${c.pid} in this project`)
    open(c, row)
    const note = byId('table-note')
    if (note) note.textContent = `patient ${c.pid}: ${mine.length} ${mine.length === 1 ? 'study' : 'studies'} checked`
  }
  document.addEventListener('htmx:afterSettle', settled)
  bar.value = c.pid
  window.htmx.trigger(bar, 'search')
}

function openFromHash(): void {
  const c = caseOf(location.hash)
  if (!c || c.pid === undefined) return
  history.replaceState(history.state, '', location.pathname + location.search)
  if (c.selmode === 'patient') return openPatient({ ...c, pid: c.pid })
  const row = rowFor(c)
  if (row) return open(c, row)
  // Not on this page of the table: search for the patient, then try once more.
  const bar = byId<HTMLInputElement>('bar-q')
  if (!bar || !window.htmx) return say(`patient ${c.pid} is not in the table`)
  const settled = () => {
    document.removeEventListener('htmx:afterSettle', settled)
    const again = rowFor(c)
    if (again) open(c, again)
    else say(`no study ${c.sid ?? ''} of patient ${c.pid} in this project`)
  }
  document.addEventListener('htmx:afterSettle', settled)
  bar.value = c.pid
  window.htmx.trigger(bar, 'search')
}
