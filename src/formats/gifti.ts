import { FormatError } from './format-error'
import type { ImageHeader } from './header'
import { scanXml } from './xml-scan'

/** GIFTI DataType names -> ours. */
const DATATYPES: Record<string, string> = {
  NIFTI_TYPE_UINT8: 'uint8', NIFTI_TYPE_INT8: 'int8', NIFTI_TYPE_INT16: 'int16', NIFTI_TYPE_UINT16: 'uint16',
  NIFTI_TYPE_INT32: 'int32', NIFTI_TYPE_UINT32: 'uint32', NIFTI_TYPE_INT64: 'int64', NIFTI_TYPE_UINT64: 'uint64',
  NIFTI_TYPE_FLOAT32: 'float32', NIFTI_TYPE_FLOAT64: 'float64',
}

/** Numeric intent codes some writers use instead of the names. */
const INTENT_NAMES: Record<string, string> = { '1008': 'NIFTI_INTENT_POINTSET', '1009': 'NIFTI_INTENT_TRIANGLE' }

export interface GiftiArray {
  intent: string
  datatype: string
  dims: number[]
  encoding: string
  externalFile?: string
  metadata: Record<string, string>
}

/** Caps on what metadata we keep (the data itself is never decoded). */
const MAX_METADATA = 256
const MAX_VALUE = 4096

/**
 * GIFTI surface or surface data (.gii). Counts DataArray elements as nibabel does (the
 * NumberOfDataArrays attribute is kept only when it disagrees); vertices = Dim0 of the first
 * NIFTI_INTENT_POINTSET array, triangles = Dim0 of the first NIFTI_INTENT_TRIANGLE array.
 */
export function readGifti(bytes: Uint8Array, name: string): ImageHeader {
  const arrays: GiftiArray[] = []
  const metadata: Record<string, string> = {}
  let version: string | undefined
  let declared: number | undefined
  let md: { name?: string; value?: string; into: Record<string, string> } | undefined
  let sawRoot = false
  scanXml(bytes, name, {
    onStart(tag, attrs, parents) {
      if (parents.length === 0) {
        if (tag !== 'GIFTI') throw new FormatError(name, 'GIFTI', `root element is <${tag}>, not <GIFTI>`)
        sawRoot = true
        version = attrs.get('Version')
        const n = attrs.get('NumberOfDataArrays')
        if (n !== undefined) declared = nonNegative(n, 'NumberOfDataArrays', name)
      } else if (tag === 'DataArray' && parents.length === 1) {
        arrays.push(dataArray(attrs, arrays.length, name))
      } else if (tag === 'MD') {
        const owner = parents.at(-2)
        const into = owner === 'DataArray' ? arrays.at(-1)?.metadata : owner === 'GIFTI' ? metadata : undefined
        md = into ? { into } : undefined
      }
    },
    onText(parents, decode) {
      const tag = parents.at(-1)
      if (md && parents.at(-2) === 'MD' && (tag === 'Name' || tag === 'Value')) {
        const text = decode().trim().slice(0, MAX_VALUE)
        if (tag === 'Name') md.name = (md.name ?? '') + text
        else md.value = (md.value ?? '') + text
      }
    },
    onEnd(tag) {
      if (tag === 'MD' && md?.name && Object.keys(md.into).length < MAX_METADATA) md.into[md.name] = md.value ?? ''
      if (tag === 'MD') md = undefined
    },
  })
  if (!sawRoot) throw new FormatError(name, 'GIFTI', 'no <GIFTI> root element')
  const points = arrays.find((a) => a.intent === 'NIFTI_INTENT_POINTSET')
  const triangles = arrays.find((a) => a.intent === 'NIFTI_INTENT_TRIANGLE')
  const extra: Record<string, unknown> = { version, dataArrays: arrays, metadata, numberOfDataArrays: arrays.length }
  if (declared !== undefined && declared !== arrays.length) extra.declaredDataArrays = declared
  return {
    format: 'gifti',
    kind: 'surface',
    vertices: points?.dims[0],
    triangles: triangles?.dims[0],
    datatype: (points ?? arrays[0])?.datatype,
    extra,
  }
}

function dataArray(attrs: Map<string, string>, index: number, name: string): GiftiArray {
  const field = (key: string) => `DataArray[${index}].${key}`
  const rawIntent = attrs.get('Intent')
  if (rawIntent === undefined) throw new FormatError(name, field('Intent'), 'missing')
  const intent = INTENT_NAMES[rawIntent.trim()] ?? rawIntent.trim()
  const type = attrs.get('DataType') ?? ''
  const datatype = DATATYPES[type]
  if (!datatype) throw new FormatError(name, field('DataType'), `unknown data type "${type.slice(0, 40)}"`)
  const n = nonNegative(attrs.get('Dimensionality') ?? '', field('Dimensionality'), name)
  if (n < 1 || n > 6) throw new FormatError(name, field('Dimensionality'), `expected 1-6, got ${n}`)
  const dims = Array.from({ length: n }, (_, i) => {
    const d = attrs.get(`Dim${i}`)
    if (d === undefined) throw new FormatError(name, field(`Dim${i}`), `missing (Dimensionality is ${n})`)
    return nonNegative(d, field(`Dim${i}`), name)
  })
  const array: GiftiArray = { intent, datatype, dims, encoding: attrs.get('Encoding') ?? '', metadata: {} }
  const external = attrs.get('ExternalFileName')
  if (external) array.externalFile = external
  return array
}

function nonNegative(text: string, field: string, name: string): number {
  const t = text.trim()
  if (!/^\d{1,15}$/.test(t)) throw new FormatError(name, field, `expected a non-negative integer, got "${t.slice(0, 40)}"`)
  return Number(t)
}
