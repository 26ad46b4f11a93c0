import dcmjs from 'dcmjs'

// dcmjs reports odd VRs ("Invalid vr type") through its logger; they are not nora's users' business.
dcmjs.log?.getLogger?.('validation.dcmjs')?.setLevel?.('silent')

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

export class DicomError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`)
    this.name = 'DicomError'
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
 * Reads the header (everything before the pixel data) of a Part 10 DICOM file with dcmjs. Throws DicomError
 * naming the file when it is not DICOM, has no instance UIDs, or cannot be parsed.
 */
export function readDicomHeader(bytes: Uint8Array, file: string): DicomHeader {
  if (!hasDicomMagic(bytes)) throw new DicomError(file, 'not a DICOM file (no "DICM" marker at byte 128)')
  let dict: Record<string, unknown>
  let meta: Record<string, { Value?: unknown[] }>
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    const msg = dcmjs.data.DicomMessage.readFile(buffer, { untilTag: '7FE00010', includeUntilTagValue: false })
    dict = dcmjs.data.DicomMetaDictionary.naturalizeDataset(msg.dict) as Record<string, unknown>
    meta = msg.meta as Record<string, { Value?: unknown[] }>
  } catch (e) {
    throw new DicomError(file, `unreadable DICOM header (${(e as Error).message})`)
  }
  const h: DicomHeader = {
    sopInstanceUid: text(dict.SOPInstanceUID),
    seriesInstanceUid: text(dict.SeriesInstanceUID),
    studyInstanceUid: text(dict.StudyInstanceUID),
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
  if (!h.sopInstanceUid || !h.seriesInstanceUid || !h.studyInstanceUid)
    throw new DicomError(file, 'no SOPInstanceUID/SeriesInstanceUID/StudyInstanceUID: not an image instance (a DICOMDIR?)')
  return h
}
