import { UsageError } from '../core/errors'
import type { DicomHeader } from '../dicom/dicom-header'

/**
 * A project's series naming policy: `FOLDER/FILE`, each a template of `{field}` (or `{a|b}`: the first that is
 * not empty) and `{field:N}` (zero-padded to N digits). The seed's default: `{protocol|description}/s{series:3}`.
 */
export const DEFAULT_NAMING = '{protocol|description}/s{series:3}'

const FIELDS: Record<string, (h: DicomHeader) => string> = {
  protocol: (h) => h.protocolName,
  description: (h) => h.seriesDescription,
  series: (h) => (h.seriesNumber === undefined ? '0' : String(Math.max(0, Math.trunc(h.seriesNumber)))),
  modality: (h) => h.modality,
  studydate: (h) => h.studyDate,
}

const TOKEN = /\{([a-z|]+)(?::(\d))?\}/g

export function checkNaming(template: string): void {
  const parts = template.split('/')
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UsageError(`naming "${template}": give FOLDER/FILE, e.g. ${DEFAULT_NAMING}`)
  for (const m of template.matchAll(TOKEN))
    for (const f of m[1]!.split('|')) if (!FIELDS[f]) throw new UsageError(`naming "${template}": unknown field "${f}"; use ${Object.keys(FIELDS).join(', ')}`)
  if (/[{}]/.test(template.replace(TOKEN, ''))) throw new UsageError(`naming "${template}": a "{" or "}" outside a {field}`)
}

/** Fills a template part from a header; what comes out is made one safe path segment by the caller. */
export function fillNaming(part: string, h: DicomHeader): string {
  return part.replace(TOKEN, (_all, names: string, pad?: string) => {
    const value = names.split('|').map((n) => FIELDS[n]!(h)).find((v) => v.trim() !== '') ?? ''
    return pad ? value.padStart(Number(pad), '0') : value
  })
}
