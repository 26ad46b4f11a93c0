import dcmjs from 'dcmjs'
import { VERSION } from '../../version'
import { newUid } from '../uid'
import { packBits, type SourceSlice } from './seg-frames'

/**
 * A DICOM Segmentation instance (PS3.3 A.51, binary) over one source series: the patient, study and frame of
 * reference of the source, one segment, one frame per source image the segment touches (its position, orientation
 * and source image referenced), written as Part 10 in explicit VR little endian by dcmjs.
 */

export const SEGMENTATION_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.4'
const EXPLICIT_LE = '1.2.840.10008.1.2.1'
const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.9.7433.1.1'

export interface Code {
  CodeValue: string
  CodingSchemeDesignator: string
  CodeMeaning: string
}

export interface SegmentInfo {
  label: string
  description?: string
  /** MANUAL: drawn; SEMIAUTOMATIC: grown, thresholded (then algorithmName is required). */
  algorithm: 'MANUAL' | 'SEMIAUTOMATIC'
  algorithmName?: string
  category: Code
  type: Code
}

/** SNOMED CT "Tissue" in "Tissue": what a research ROI is unless said otherwise (DICOM CID 7150/7151). */
export const DEFAULT_CATEGORY: Code = { CodeValue: '85756007', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Tissue' }
export const DEFAULT_TYPE: Code = { CodeValue: '85756007', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Tissue' }

/** What the SEG copies from the source series (its first instance, naturalised by dcmjs). */
export type SourceDataset = Record<string, unknown>

export interface SegInput {
  /** The source series' images, each with its frame (rows*columns bytes, 0/1) from framesFromMask. */
  slices: SourceSlice[]
  frames: Uint8Array[]
  source: SourceDataset
  segment: SegmentInfo
  seriesDescription: string
  /** Who made it (ContentCreatorName, PN). */
  creator: string
  now?: Date
}

/** Values the SEG copies as they are from the source (Patient, General Study modules; type 2 when absent). */
const COPIED = ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyInstanceUID', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber', 'SpecificCharacterSet'] as const

const date = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '')
const time = (d: Date) => d.toISOString().slice(11, 19).replace(/:/g, '')
const ds = (n: number) => {
  // DS is at most 16 characters: round until the decimal form fits.
  for (let digits = 10; digits >= 0; digits--) {
    const s = String(Number(n.toFixed(digits)))
    if (s.length <= 16) return s
  }
  return String(Math.round(n))
}

/** Builds the SEG's naturalised dataset; throws when no frame holds a voxel of the segment. */
export function segDataset(input: SegInput): { dataset: Record<string, unknown>; sopInstanceUid: string } {
  const { slices, frames, source, segment } = input
  const used = frames.map((f, i) => ({ f, s: slices[i]! })).filter(({ f }) => f.some((v) => v !== 0))
  if (!used.length) throw new Error('the ROI covers no pixel of the source series: nothing to export')
  const first = slices[0]!
  if (slices.some((s) => s.rows !== first.rows || s.columns !== first.columns)) throw new Error('the source series mixes image sizes; a SEG needs one frame size')
  const frameOfReference = source.FrameOfReferenceUID
  if (typeof frameOfReference !== 'string' || !frameOfReference) throw new Error('the source series has no FrameOfReferenceUID; a SEG must share its frame of reference')
  // Positions along the slice normal, ranked: the second dimension index of each frame (PS3.3 C.7.6.17).
  const [rx, ry, rz, cx, cy, cz] = first.orientation
  const normal = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx]
  const along = (s: SourceSlice) => s.position[0] * normal[0]! + s.position[1] * normal[1]! + s.position[2] * normal[2]!
  const ranks = [...new Set(slices.map((s) => Number(along(s).toFixed(4))))].sort((a, b) => a - b)
  const now = input.now ?? new Date()
  const sopInstanceUid = newUid()
  const sameOrientation = slices.every((s) => s.orientation.every((v, i) => Math.abs(v - first.orientation[i]!) < 1e-4))
  const spacing = slices.length > 1 ? Math.abs(ranks[1]! - ranks[0]!) : undefined
  const dataset: Record<string, unknown> = {
    _vrMap: { PixelData: 'OB' },
    SOPClassUID: SEGMENTATION_SOP_CLASS,
    SOPInstanceUID: sopInstanceUid,
    ...Object.fromEntries(COPIED.map((k) => [k, source[k] ?? ''])),
    Modality: 'SEG',
    SeriesInstanceUID: newUid(),
    SeriesNumber: 9000 + Math.floor(Math.random() * 999),
    SeriesDescription: input.seriesDescription.slice(0, 64),
    InstanceNumber: 1,
    ContentDate: date(now),
    ContentTime: time(now),
    SeriesDate: date(now),
    SeriesTime: time(now),
    FrameOfReferenceUID: frameOfReference,
    PositionReferenceIndicator: source.PositionReferenceIndicator ?? '',
    Manufacturer: 'nora',
    ManufacturerModelName: 'nora ROI tool',
    DeviceSerialNumber: '1',
    SoftwareVersions: VERSION,
    ImageType: ['DERIVED', 'PRIMARY'],
    ContentLabel: 'ROI',
    ContentDescription: (segment.description ?? segment.label).slice(0, 64),
    ContentCreatorName: input.creator.slice(0, 64),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: first.rows,
    Columns: first.columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    SegmentSequence: [
      {
        SegmentNumber: 1,
        SegmentLabel: segment.label.slice(0, 64),
        ...(segment.description ? { SegmentDescription: segment.description.slice(0, 64) } : {}),
        SegmentAlgorithmType: segment.algorithm,
        ...(segment.algorithm === 'MANUAL' ? {} : { SegmentAlgorithmName: (segment.algorithmName ?? 'nora ROI tool').slice(0, 64) }),
        SegmentedPropertyCategoryCodeSequence: [segment.category],
        SegmentedPropertyTypeCodeSequence: [segment.type],
      },
    ],
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: '' }],
    DimensionIndexSequence: [],
    SharedFunctionalGroupsSequence: [
      {
        PixelMeasuresSequence: [{ PixelSpacing: first.spacing.map(ds), SliceThickness: ds(Number(source.SliceThickness ?? spacing ?? 1)), ...(spacing ? { SpacingBetweenSlices: ds(spacing) } : {}) }],
        ...(sameOrientation ? { PlaneOrientationSequence: [{ ImageOrientationPatient: first.orientation.map(ds) }] } : {}),
      },
    ],
    PerFrameFunctionalGroupsSequence: used.map(({ s }) => ({
      DerivationImageSequence: [
        {
          SourceImageSequence: [
            {
              ReferencedSOPClassUID: s.sopClassUid,
              ReferencedSOPInstanceUID: s.sopInstanceUid,
              PurposeOfReferenceCodeSequence: [{ CodeValue: '121322', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Source image for image processing operation' }],
            },
          ],
          DerivationCodeSequence: [{ CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' }],
        },
      ],
      FrameContentSequence: [{ DimensionIndexValues: [1, ranks.indexOf(Number(along(s).toFixed(4))) + 1] }],
      PlanePositionSequence: [{ ImagePositionPatient: s.position.map(ds) }],
      ...(sameOrientation ? {} : { PlaneOrientationSequence: [{ ImageOrientationPatient: s.orientation.map(ds) }] }),
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: 1 }],
    })),
    NumberOfFrames: used.length,
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: source.SeriesInstanceUID,
        ReferencedInstanceSequence: slices.map((s) => ({ ReferencedSOPClassUID: s.sopClassUid, ReferencedSOPInstanceUID: s.sopInstanceUid })),
      },
    ],
    PixelData: [packBits(used.map(({ f }) => f)).buffer],
  }
  const organisation = newUid()
  dataset.DimensionOrganizationSequence = [{ DimensionOrganizationUID: organisation }]
  dataset.DimensionIndexSequence = [
    { DimensionOrganizationUID: organisation, DimensionIndexPointer: 0x0062000b, FunctionalGroupPointer: 0x0062000a, DimensionDescriptionLabel: 'ReferencedSegmentNumber' },
    { DimensionOrganizationUID: organisation, DimensionIndexPointer: 0x00200032, FunctionalGroupPointer: 0x00209113, DimensionDescriptionLabel: 'ImagePositionPatient' },
  ]
  return { dataset, sopInstanceUid }
}

/** The SEG as a Part 10 file. */
export function writeSeg(dataset: Record<string, unknown>, sopInstanceUid: string): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data
  const meta = DicomMetaDictionary.denaturalizeDataset({
    _vrMap: { FileMetaInformationVersion: 'OB' },
    FileMetaInformationVersion: [new Uint8Array([0, 1]).buffer],
    MediaStorageSOPClassUID: SEGMENTATION_SOP_CLASS,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_LE,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'NORA_1',
  })
  const dict = new DicomDict(meta)
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset)
  return new Uint8Array(dict.write())
}
