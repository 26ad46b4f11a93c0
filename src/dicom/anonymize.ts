import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import dcmjs from 'dcmjs'

/** Patient-identifying attributes (DICOM PS3.15 basic profile, patient and physician names) that are removed. */
const REMOVE = [
  '00101000', // OtherPatientIDs
  '00101001', // OtherPatientNames
  '00101002', // OtherPatientIDsSequence
  '00101005', // PatientBirthName
  '00101040', // PatientAddress
  '00101060', // PatientMotherBirthName
  '00102154', // PatientTelephoneNumbers
  '00100021', // IssuerOfPatientID
  '00100032', // PatientBirthTime
  '00080090', // ReferringPhysicianName
  '00081048', // PhysiciansOfRecord
  '00081050', // PerformingPhysicianName
  '00081060', // NameOfPhysiciansReadingStudy
  '00081070', // OperatorsName
  '00324000', // StudyComments
  '00104000', // PatientComments
]

function set(dict: Record<string, { vr: string; Value: unknown[]; _rawValue?: unknown }>, tag: string, vr: string, value: unknown): void {
  dict[tag] = { vr, Value: value === '' ? [] : [value] }
}

/**
 * Rewrites a DICOM file in place with the patient replaced by a pseudonym: name and ID become the pseudonym,
 * the birth date its year (YYYY0101), identifying attributes are removed. Pixel data is left as it is.
 */
export function anonymizeDicomFile(path: string, p: { pseudonym: string; birthYear: string }): void {
  const bytes = readFileSync(path)
  const msg = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
  const dict = msg.dict as Record<string, { vr: string; Value: unknown[] }>
  set(dict, '00100010', 'PN', { Alphabetic: p.pseudonym })
  set(dict, '00100020', 'LO', p.pseudonym)
  if (dict['00100030']) set(dict, '00100030', 'DA', p.birthYear ? `${p.birthYear}0101` : '')
  for (const tag of REMOVE) delete dict[tag]
  set(dict, '00120062', 'CS', 'YES') // PatientIdentityRemoved
  const tmp = `${path}.anon`
  writeFileSync(tmp, new Uint8Array(msg.write()))
  renameSync(tmp, path)
}
