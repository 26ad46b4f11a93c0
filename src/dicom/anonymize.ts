import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import dcmjs from 'dcmjs'
import { deidentifyDataset, removePrivateAttributes, type DeidentifyOptions } from './deidentify'

function rewrite(path: string, change: (dict: Record<string, unknown>, meta: Record<string, unknown>) => boolean): void {
  const bytes = readFileSync(path)
  const msg = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
  if (!change(msg.dict as Record<string, unknown>, msg.meta as Record<string, unknown>)) return
  const tmp = `${path}.anon`
  writeFileSync(tmp, new Uint8Array(msg.write()))
  renameSync(tmp, path)
}

/**
 * Rewrites a DICOM file in place, de-identified by the Basic Application Level Confidentiality Profile with the
 * options nora applies (src/dicom/deidentify.ts): the patient becomes the pseudonym, UIDs are replaced by
 * `mapUid`, private attributes are removed or not (`removePrivate`). Pixel data is left as it is.
 */
export function anonymizeDicomFile(path: string, opts: DeidentifyOptions): void {
  rewrite(path, (dict, meta) => {
    deidentifyDataset(dict, meta, opts)
    return true
  })
}

/** Removes the private attributes of a DICOM file in place (left untouched when it has none). */
export function removePrivateFromFile(path: string): void {
  rewrite(path, (dict) => removePrivateAttributes(dict) > 0)
}
