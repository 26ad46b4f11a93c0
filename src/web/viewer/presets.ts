/** Standard CT windows for the keys 1-6 (level/width in HU); 0 is the image's own robust range. */
export interface WindowPreset {
  key: string
  name: string
  level: number
  width: number
}

export const CT_PRESETS: WindowPreset[] = [
  { key: '1', name: 'brain', level: 40, width: 80 },
  { key: '2', name: 'subdural', level: 75, width: 215 },
  { key: '3', name: 'stroke', level: 40, width: 40 },
  { key: '4', name: 'bone', level: 480, width: 2500 },
  { key: '5', name: 'lung', level: -600, width: 1500 },
  { key: '6', name: 'soft tissue', level: 50, width: 350 },
]

export const windowOf = (p: WindowPreset) => ({ min: p.level - p.width / 2, max: p.level + p.width / 2 })

export type ItemRole = 'background' | 'overlay' | 'mask' | 'fibers' | 'surface'
export type FileKind = 'volume' | 'fibers' | 'surface' | 'dicom' | 'unknown'

const VOLUME = /\.(nii|nii\.gz|nrrd|nhdr|mgh|mgz|mha|mhd|head|hdr|img|v16|vmr|npy|npz)$/i
const FIBERS = /\.(tck|trk|trx|tsf|trk\.gz)$/i
const SURFACE = /\.(gii|stl|mz3|obj|ply|vtk|off|fsm|x3d|pial|white|inflated|sphere|srf|geo)$/i
const DICOM = /(\.dcm|\.ima|\/[^./]+)$/i

export function kindOf(name: string): FileKind {
  if (VOLUME.test(name)) return 'volume'
  if (FIBERS.test(name)) return 'fibers'
  if (SURFACE.test(name)) return 'surface'
  if (DICOM.test(name)) return 'dicom'
  return 'unknown'
}

/** The drop options a file offers, first the default. */
export function rolesFor(kind: FileKind): ItemRole[] {
  if (kind === 'volume') return ['background', 'overlay', 'mask']
  if (kind === 'fibers') return ['fibers']
  if (kind === 'surface') return ['surface']
  return []
}

export const ROLE_LABEL: Record<ItemRole, string> = {
  background: 'as background',
  overlay: 'as overlay',
  mask: 'as mask/ROI',
  fibers: 'as fibers',
  surface: 'as surface',
}
