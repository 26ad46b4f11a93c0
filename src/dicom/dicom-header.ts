import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { NoraError } from '../core/errors'
import { scanDicomHeader } from './header-scan'

type Dcmjs = typeof import('dcmjs')
let dcmjsModule: Dcmjs | undefined

/** dcmjs, loaded on first use: most files never need it (header-scan.ts reads them), and it costs ~0.2 s to load. */
function loadDcmjs(): Dcmjs {
  if (!dcmjsModule) {
    const m = require('dcmjs') as { default?: Dcmjs }
    dcmjsModule = m.default ?? (m as Dcmjs)
    // dcmjs reports odd VRs ("Invalid vr type") through its logger; they are not nora's users' business.
    dcmjsModule.log?.getLogger?.('validation.dcmjs')?.setLevel?.('silent')
  }
  return dcmjsModule
}

/** The header fields nora itself reads from a DICOM instance: for sorting, naming and the database. */
export interface DicomHeader {
  sopInstanceUid: string
  seriesInstanceUid: string
  studyInstanceUid: string
  patientId: string
  patientName: string
  birthDate: string
  sex: string
  studyDate: string
  studyTime: string
  studyDescription: string
  accessionNumber: string
  seriesDescription: string
  protocolName: string
  seriesNumber: number | undefined
  modality: string
  transferSyntaxUid: string
}

/** A file is no readable DICOM. The message names the file (`a.dcm: ...`); `reason` is what was wrong alone. */
export class DicomError extends NoraError {
  override readonly status = 422
  readonly reason: string
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`)
    this.reason = message
  }
}

/** True when the bytes carry the Part 10 preamble marker `DICM` at offset 128. */
export function hasDicomMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d
}

function text(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (Array.isArray(v)) return v.map(text).join('\\')
  if (typeof v === 'object') return (v as { Alphabetic?: string }).Alphabetic ?? ''
  return String(v).trim()
}

function seriesNumberOf(v: unknown): number | undefined {
  const s = text(v)
  return s !== '' && Number.isFinite(Number(s)) ? Number(s) : undefined
}

/**
 * Reads the header of a Part 10 DICOM file from its bytes (all of it, or its start when that holds the header):
 * header-scan.ts for the common files, dcmjs for the rest. Throws DicomError naming the file when it is not DICOM,
 * has no instance UIDs, or cannot be parsed.
 */
export function readDicomHeader(bytes: Uint8Array, file: string): DicomHeader {
  if (!hasDicomMagic(bytes)) throw new DicomError(file, 'not a DICOM file (no "DICM" marker at byte 128)')
  const fast = scanDicomHeader(bytes, false)
  return fast && fast !== 'more' ? fast : readWithDcmjs(bytes, file)
}

/** The first bytes read of a file for its header; more when the header goes on (large private groups). */
const PROBE = 16 << 10

/**
 * Reads the header of the DICOM file at `path` reading only its start (64 KB, enough for most headers; the whole file when
 * the header needs it or dcmjs has to judge it). `undefined` when it is no Part 10 file (no "DICM" marker); throws
 * DicomError (named `name`) when it is one but unreadable.
 */
export function readDicomHeaderFromFile(path: string, name: string): DicomHeader | undefined {
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
    let bytes = new Uint8Array(Math.min(size, PROBE))
    readSync(fd, bytes, 0, bytes.length, 0)
    if (!hasDicomMagic(bytes)) return undefined
    let fast = scanDicomHeader(bytes, bytes.length === size)
    if (fast === 'more') {
      bytes = new Uint8Array(size)
      readSync(fd, bytes, 0, size, 0)
      fast = scanDicomHeader(bytes, true)
    }
    return fast && fast !== 'more' ? fast : readWithDcmjs(bytes, name)
  } finally {
    closeSync(fd)
  }
}

/** The dcmjs path alone: what readDicomHeader falls back to (and what test/unit/dicom/header-scan.test.ts compares with). */
export function readWithDcmjs(bytes: Uint8Array, file: string): DicomHeader {
  const dcmjs = loadDcmjs()
  let dict: Record<string, unknown>
  let meta: Record<string, { Value?: unknown[] }>
  let raw: (tag: string) => string
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    const msg = dcmjs.data.DicomMessage.readFile(buffer, { untilTag: '7FE00010', includeUntilTagValue: false })
    // UIDs as written: dcmjs drops every character but digits and dots from a UI value ("1.2/3" reads "1.23",
    // "../../etc" reads "...."), which would hide a bad UID instead of refusing it.
    const elements = msg.dict as Record<string, { Value?: unknown; _rawValue?: unknown } | undefined>
    raw = (tag) => text(elements[tag]?._rawValue ?? elements[tag]?.Value)
    dict = dcmjs.data.DicomMetaDictionary.naturalizeDataset(msg.dict) as Record<string, unknown>
    meta = msg.meta as Record<string, { Value?: unknown[] }>
  } catch (e) {
    throw new DicomError(file, `unreadable DICOM header (${(e as Error).message})`)
  }
  const h: DicomHeader = {
    sopInstanceUid: raw('00080018'),
    seriesInstanceUid: raw('0020000E'),
    studyInstanceUid: raw('0020000D'),
    patientId: text(dict.PatientID),
    patientName: text(dict.PatientName),
    birthDate: text(dict.PatientBirthDate),
    sex: text(dict.PatientSex),
    studyDate: text(dict.StudyDate),
    studyTime: text(dict.StudyTime),
    studyDescription: text(dict.StudyDescription),
    accessionNumber: text(dict.AccessionNumber),
    seriesDescription: text(dict.SeriesDescription),
    protocolName: text(dict.ProtocolName),
    seriesNumber: seriesNumberOf(dict.SeriesNumber),
    modality: text(dict.Modality),
    transferSyntaxUid: text(meta['00020010']?.Value?.[0]),
  }
  const missing = (
    [
      ['SOPInstanceUID', h.sopInstanceUid],
      ['SeriesInstanceUID', h.seriesInstanceUid],
      ['StudyInstanceUID', h.studyInstanceUid],
    ] as const
  ).flatMap(([name, v]) => (v ? [] : [name]))
  if (missing.length) throw new DicomError(file, `no ${missing.join('/')} (empty or absent): not an image instance (a DICOMDIR?)`)
  return h
}
