import { readFileSync } from 'node:fs'
import dcmjs from 'dcmjs'
import type { SourceDataset } from './seg-dataset'
import type { SourceSlice } from './seg-frames'

/** The images of one source series, read up to their pixel data (which a SEG does not need). */
export interface SegSourceSeries {
  slices: SourceSlice[]
  /** The first image's attributes (patient, study, frame of reference) for the SEG to copy. */
  source: SourceDataset
}

const numbers = (v: unknown, n: number, what: string, file: string): number[] => {
  const a = (Array.isArray(v) ? v : [v]).map(Number)
  if (a.length !== n || a.some((x) => !Number.isFinite(x))) throw new Error(`${file}: ${what} is missing or not ${n} numbers; a SEG needs the source's geometry`)
  return a
}

/** Reads the Part 10 files of one series; throws (naming the file) on multi-frame, mixed series or missing geometry. */
export function readSegSource(files: string[], seriesUid?: string): SegSourceSeries {
  const slices: SourceSlice[] = []
  let source: SourceDataset | undefined
  for (const file of files) {
    const bytes = readFileSync(file)
    const message = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, {
      ignoreErrors: true,
      untilTag: '7FE00010',
      includeUntilTagValue: false,
      noCopy: true,
      forceStoreRaw: false,
    })
    const d = dcmjs.data.DicomMetaDictionary.naturalizeDataset(message.dict) as Record<string, unknown>
    if (seriesUid && d.SeriesInstanceUID !== seriesUid) continue
    if (Number(d.NumberOfFrames ?? 1) > 1) throw new Error(`${file}: multi-frame source images are not supported for SEG export yet`)
    source ??= d
    if (d.SeriesInstanceUID !== source.SeriesInstanceUID) throw new Error(`${file}: belongs to series ${String(d.SeriesInstanceUID)}, not ${String(source.SeriesInstanceUID)}`)
    slices.push({
      sopClassUid: String(d.SOPClassUID ?? ''),
      sopInstanceUid: String(d.SOPInstanceUID ?? ''),
      rows: numbers(d.Rows, 1, 'Rows', file)[0]!,
      columns: numbers(d.Columns, 1, 'Columns', file)[0]!,
      position: numbers(d.ImagePositionPatient, 3, 'ImagePositionPatient', file) as SourceSlice['position'],
      orientation: numbers(d.ImageOrientationPatient, 6, 'ImageOrientationPatient', file) as SourceSlice['orientation'],
      spacing: numbers(d.PixelSpacing, 2, 'PixelSpacing', file) as SourceSlice['spacing'],
    })
  }
  if (!source || !slices.length) throw new Error(seriesUid ? `no image of series ${seriesUid} among the source files` : 'no source images')
  return { slices, source }
}
