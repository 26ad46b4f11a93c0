import { createHmac } from 'node:crypto'
import { isPrivateTag, profileAttribute, PROFILE_EDITION, type ProfileAttribute } from './confidentiality-profile'

/**
 * De-identification of one dataset by the Basic Application Level Confidentiality Profile (DICOM PS3.15 E.1,
 * Table E.1-1 in ./confidentiality-profile.ts), with the options nora applies:
 * - Retain Patient Characteristics Option: its K attributes are kept (sex, age, size, weight, ethnic group,
 *   smoking and pregnancy status); the free-text ones it would clean (allergies, special needs...) are removed.
 * - Retain Longitudinal Temporal Information with Full Dates Option, when `dates` is `keep` (the default): every
 *   date and time it keeps stays as acquired. With `remove` they get the Basic Profile's action.
 * - Descriptors: Study Description, Series Description and Protocol Name are kept as they are (nora names series
 *   folders from them; the Clean Descriptors Option would clean them, which cannot be done automatically). Every
 *   other descriptor the Clean Descriptors Option covers gets the Basic Profile's action.
 * Not applied: Retain Safe Private (private attributes go), Retain UIDs (UIDs are replaced), Retain Device
 * Identity, Retain Institution Identity, Clean Structured Content, Clean Graphics, Clean Pixel Data, Clean
 * Recognizable Visual Features (pixel data is left as it is).
 *
 * Combined actions choose by what keeps IODs valid without knowing each attribute's type in each IOD: X/Z, Z/D
 * and X/Z/D become Z (zero length: a type 2 attribute stays present, empty); X/D becomes X (a dummy date or
 * label would read as real); X/Z/U* keeps the sequence and replaces the UIDs in it. D is a dummy of the VR; U a
 * UID from `mapUid` (the same original gives the same new UID). Kept sequences are de-identified item by item; a
 * sequence's dummy keeps its items' structure with dummy values.
 */

export type DatesOption = 'keep' | 'remove'

export interface DeidentifyOptions {
  pseudonym: string
  dates: DatesOption
  /** The replacement of a UID: the same original must give the same result (series and studies still group). */
  mapUid: (uid: string) => string
  /** Remove private attributes (odd groups). The importer keeps them for dcm2niix and removes them before keeping. */
  removePrivate: boolean
}

/** Study Description, Series Description, Protocol Name: kept (see above). */
export const KEPT_DESCRIPTORS: ReadonlySet<string> = new Set(['00081030', '0008103E', '00181030'])

/** The options nora applies, as DICOM's codes (CID 7050) for De-identification Method Code Sequence. */
function methodCodes(dates: DatesOption): { value: string; meaning: string }[] {
  return [
    { value: '113100', meaning: 'Basic Application Confidentiality Profile' },
    { value: '113108', meaning: 'Retain Patient Characteristics Option' },
    ...(dates === 'keep' ? [{ value: '113106', meaning: 'Retain Longitudinal Temporal Information Full Dates Option' }] : []),
  ]
}

export type Action = 'K' | 'X' | 'Z' | 'D' | 'U' | 'U*'

/** What nora does with an attribute of the table. */
export function actionFor(attr: ProfileAttribute, dates: DatesOption): Action {
  if (KEPT_DESCRIPTORS.has(attr.tag)) return 'K'
  if (attr.patientCharacteristics === 'K') return 'K'
  if (dates === 'keep' && attr.fullDates === 'K') return 'K'
  switch (attr.basic) {
    case 'X/Z':
    case 'Z/D':
    case 'X/Z/D':
      return 'Z'
    case 'X/D':
      return 'X'
    case 'X/Z/U*':
      return 'U*'
    default:
      return attr.basic
  }
}

/** A UID derived from `uid` under `key`: "2.25." and an HMAC-SHA256 shaped as a version 8 UUID (PS3.5 B.2). */
export function derivedUid(key: Buffer, uid: string): string {
  const b = createHmac('sha256', key).update(`uid:${uid}`).digest().subarray(0, 16)
  b[6] = (b[6]! & 0x0f) | 0x80 // version 8 (custom)
  b[8] = (b[8]! & 0x3f) | 0x80 // RFC 9562 variant
  return `2.25.${BigInt(`0x${b.toString('hex')}`).toString(10)}`
}

interface Element {
  vr: string
  Value?: unknown[]
  _rawValue?: unknown
  InlineBinary?: unknown
}
type Dataset = Record<string, Element>

const DUMMY = 'ANONYMIZED'

function dummyOf(vr: string): unknown[] {
  switch (vr) {
    case 'PN':
      return [{ Alphabetic: DUMMY }]
    case 'DA':
      return ['19000101']
    case 'TM':
      return ['000000']
    case 'DT':
      return ['19000101000000']
    case 'AS':
      return ['000D']
    case 'DS':
    case 'IS':
    case 'US':
    case 'SS':
    case 'UL':
    case 'SL':
    case 'UV':
    case 'SV':
    case 'FL':
    case 'FD':
      return [0]
    case 'OB':
    case 'OW':
    case 'OD':
    case 'OF':
    case 'OL':
    case 'OV':
    case 'UN':
      return [new Uint8Array([0x3f, 0x3f]).buffer] // two bytes: non-zero length, even
    default:
      return [DUMMY] // AE, CS, LO, LT, SH, ST, UC, UR, UT
  }
}

function uidText(v: unknown): string {
  if (v instanceof ArrayBuffer) return new TextDecoder().decode(v).replace(/[\0\s]+$/, '')
  return String(v ?? '').trim()
}

function replaceUids(el: Element, mapUid: (uid: string) => string): void {
  el.Value = (el.Value ?? []).map((v) => {
    const uid = uidText(v)
    return uid ? mapUid(uid) : ''
  })
  if (el.vr === 'UN' || el.vr === 'OB') el.vr = 'UI'
  delete el._rawValue
}

function setValue(ds: Dataset, tag: string, vr: string, value: unknown[]): void {
  ds[tag] = { vr, Value: value }
}

/** Applies the profile to one dataset (and, recursively, to the items of the sequences it keeps), in place. */
function applyProfile(ds: Dataset, opts: DeidentifyOptions): void {
  for (const tag of Object.keys(ds)) {
    const el = ds[tag]!
    if (isPrivateTag(tag)) {
      if (opts.removePrivate) delete ds[tag]
      else if (el.vr === 'SQ') for (const item of (el.Value ?? []) as Dataset[]) applyProfile(item, opts)
      continue
    }
    const attr = profileAttribute(tag)
    const action = attr ? actionFor(attr, opts.dates) : 'K'
    if (attr?.vr === 'SQ' && el.vr !== 'SQ') {
      delete ds[tag] // a sequence whose items could not be read (implicit VR, unknown to the dictionary): cannot be cleaned
      continue
    }
    const vr = el.vr === 'UN' && attr ? attr.vr : el.vr
    switch (action) {
      case 'X':
        delete ds[tag]
        break
      case 'Z':
        setValue(ds, tag, vr, [])
        break
      case 'D':
        if (vr === 'UI') replaceUids(el, opts.mapUid)
        else if (vr === 'SQ') for (const item of (el.Value ?? []) as Dataset[]) dummyItem(item, opts)
        else setValue(ds, tag, vr, dummyOf(vr))
        break
      case 'U':
        replaceUids(el, opts.mapUid)
        break
      case 'U*':
      case 'K':
        if (el.vr === 'SQ') for (const item of (el.Value ?? []) as Dataset[]) applyProfile(item, opts)
        break
    }
  }
}

/**
 * A sequence's dummy (D): its items keep their structure, every value becomes a dummy of its VR; attributes of the
 * table get their own action, UIDs the table does not name (SOP classes, coding schemes) stay.
 */
function dummyItem(ds: Dataset, opts: DeidentifyOptions): void {
  applyProfile(ds, opts)
  for (const tag of Object.keys(ds)) {
    const el = ds[tag]!
    if (profileAttribute(tag) || isPrivateTag(tag) || el.vr === 'UI' || !el.Value?.length) continue
    if (el.vr === 'SQ') for (const item of el.Value as Dataset[]) dummyItem(item, opts)
    else setValue(ds, tag, el.vr, dummyOf(el.vr))
  }
}

function text(el: Element | undefined): string {
  const v = el?.Value?.[0]
  return typeof v === 'string' ? v.trim() : ''
}

/** The patient's age at the study (AS, e.g. 034Y), from birth date and study date, or '' when either is missing. */
export function ageAt(birthDate: string, date: string): string {
  const b = /^(\d{4})(\d{2})(\d{2})$/.exec(birthDate)
  const d = /^(\d{4})(\d{2})(\d{2})/.exec(date)
  if (!b || !d) return ''
  let years = Number(d[1]) - Number(b[1])
  if (Number(d[2]) * 100 + Number(d[3]) < Number(b[2]) * 100 + Number(b[3])) years--
  return years >= 0 && years < 1000 ? `${String(years).padStart(3, '0')}Y` : ''
}

/**
 * De-identifies a dataset and its file meta information (dcmjs dictionaries, changed in place). The patient
 * becomes the pseudonym (Patient's Name and ID); Patient's Age is filled from the birth date before that goes,
 * when the instance has none; Patient Identity Removed, De-identification Method (and its code sequence) and
 * Longitudinal Temporal Information Modified say what was done.
 */
export function deidentifyDataset(dict: Record<string, unknown>, meta: Record<string, unknown>, opts: DeidentifyOptions): void {
  const ds = dict as Dataset
  if (!text(ds['00101010'])) {
    const age = ageAt(text(ds['00100030']), text(ds['00080020']) || text(ds['00080021']) || text(ds['00080022']) || text(ds['00080023']))
    if (age) setValue(ds, '00101010', 'AS', [age])
  }
  applyProfile(ds, opts)
  setValue(ds, '00100010', 'PN', [{ Alphabetic: opts.pseudonym }])
  setValue(ds, '00100020', 'LO', [opts.pseudonym])
  setValue(ds, '00120062', 'CS', ['YES'])
  setValue(ds, '00120063', 'LO', [`${PROFILE_EDITION} E.1 Basic Profile (nora)`, ...methodCodes(opts.dates).slice(1).map((c) => c.meaning.slice(0, 64)), 'Study/Series Description, Protocol Name kept'])
  setValue(
    ds,
    '00120064',
    'SQ',
    methodCodes(opts.dates).map((c) => ({
      '00080100': { vr: 'SH', Value: [c.value] },
      '00080102': { vr: 'SH', Value: ['DCM'] },
      '00080104': { vr: 'LO', Value: [c.meaning] },
    })),
  )
  setValue(ds, '00280303', 'CS', [opts.dates === 'keep' ? 'UNMODIFIED' : 'REMOVED'])
  // File meta: the instance's new UID; no sender AE titles or private information of the sender.
  const m = meta as Dataset
  const sop = text(ds['00080018'])
  if (m['00020003']) setValue(m, '00020003', 'UI', [sop])
  for (const tag of ['00020016', '00020017', '00020018', '00020100', '00020102']) delete m[tag]
}

/** Removes every private attribute (odd group), at any depth: the Basic Profile's last row. */
export function removePrivateAttributes(dict: Record<string, unknown>): number {
  let n = 0
  const walk = (ds: Dataset) => {
    for (const tag of Object.keys(ds)) {
      if (isPrivateTag(tag)) {
        delete ds[tag]
        n++
      } else if (ds[tag]!.vr === 'SQ') for (const item of (ds[tag]!.Value ?? []) as Dataset[]) walk(item)
    }
  }
  walk(dict as Dataset)
  return n
}
