import { UsageError } from '../../../core/errors'

/** The seed's URL call: `index.php?project=P&call={"pid":..,"sid":..,"selmode":..,"preset":..,"user":..,"token":..}`. */
export interface UrlCall {
  pid?: string
  sid?: string
  selmode?: string
  preset?: string
  user?: string
  token?: string
}

/** What the desktop opens: the case and preset of a call, without who called (the URL the browser keeps). */
export type OpenCase = Omit<UrlCall, 'user' | 'token'>

export const URL_CALL_EXAMPLE = 'index.php?project=P&call={"pid":"PATIENT","sid":"STUDY","selmode":"study|patient","preset":"PRESET","user":"USER","token":"TOKEN"}'
const MAX_CALL = 4096
const FIELDS = ['pid', 'sid', 'selmode', 'preset', 'user', 'token'] as const

/**
 * The selection mode of the case (`selmode`): `study` (the default) selects the study (or the patient's first) in the
 * table and opens it; `patient` (also `subject`, as the table's level is called) narrows the table to the patient,
 * checks all of the patient's studies (what the table's tag menu and the Batchtool's selection act on) and opens the
 * named study, or the patient's first.
 */
export const SELECTION_MODES = ['study', 'patient'] as const
export type SelectionMode = (typeof SELECTION_MODES)[number]

export function selectionMode(text: string): SelectionMode {
  const t = text.trim().toLowerCase()
  if (t === 'study' || t === 'studies') return 'study'
  if (t === 'patient' || t === 'subject' || t === 'patients' || t === 'subjects') return 'patient'
  throw new UsageError(`"selmode" must be study (select the study) or patient (all of the patient's studies; also subject), not "${text.slice(0, 40)}"`)
}

/**
 * Parses and checks a URL call's `call` parameter. Every malformed call is a UsageError saying what is wrong; no
 * message ever repeats the token. Numbers are taken as text (`"pid": 123`).
 */
export function parseUrlCall(raw: string): UrlCall {
  if (raw.length > MAX_CALL) throw new UsageError(`the call parameter is longer than ${MAX_CALL} characters: ${URL_CALL_EXAMPLE}`)
  let call: unknown
  try {
    call = JSON.parse(raw)
  } catch {
    throw new UsageError(`the call parameter is not JSON (URL-encode it): ${URL_CALL_EXAMPLE}`)
  }
  if (typeof call !== 'object' || call === null || Array.isArray(call)) throw new UsageError(`the call parameter must be a JSON object: ${URL_CALL_EXAMPLE}`)
  const out: UrlCall = {}
  for (const key of FIELDS) {
    const v = (call as Record<string, unknown>)[key]
    if (v === undefined || v === null || v === '') continue
    if (typeof v !== 'string' && typeof v !== 'number') throw new UsageError(`"${key}" in the call must be text`)
    const text = String(v)
    if (text.length > 256) throw new UsageError(`"${key}" in the call is longer than 256 characters`)
    out[key] = text
  }
  if (out.selmode !== undefined) out.selmode = selectionMode(out.selmode)
  if (out.selmode === 'patient' && out.pid === undefined) throw new UsageError(`"selmode": "patient" needs the patient ("pid"): ${URL_CALL_EXAMPLE}`)
  if (out.token !== undefined && out.user === undefined) throw new UsageError(`the call gives a token but no "user": ${URL_CALL_EXAMPLE}`)
  if (out.sid !== undefined && out.pid === undefined) throw new UsageError(`the call names a study ("sid") but no patient ("pid"): ${URL_CALL_EXAMPLE}`)
  return out
}

/** The case to open, as the fragment of the desktop's URL (`#case=...`): read by the desktop's script, never sent. */
export function caseFragment(call: UrlCall): string {
  const open: OpenCase = {}
  for (const key of ['pid', 'sid', 'selmode', 'preset'] as const) if (call[key] !== undefined) open[key] = call[key]
  return Object.keys(open).length ? `#case=${encodeURIComponent(JSON.stringify(open))}` : ''
}
