/** A file's type from its name, as the table and the viewer show it. */
const TYPES: [suffix: string, type: string][] = [
  ['.nii.gz', 'nifti'],
  ['.nii', 'nifti'],
  ['.hdr', 'analyze'],
  ['.img', 'analyze-data'],
  ['.nrrd', 'nrrd'],
  ['.nhdr', 'nrrd'],
  ['.mgz', 'mgh'],
  ['.mgh', 'mgh'],
  ['.gii', 'gifti'],
  ['.tck', 'tck'],
  ['.trk', 'trk'],
  ['.stl', 'stl'],
  ['.json', 'json'],
  ['.bval', 'bval'],
  ['.bvec', 'bvec'],
  ['.dcm', 'dicom'],
  ['.csv', 'csv'],
  ['.txt', 'text'],
  ['.log', 'text'],
  ['.tar.gz', 'archive'],
  ['.zip', 'archive'],
]

export function fileTypeOf(name: string): string {
  const lower = name.toLowerCase()
  for (const [suffix, type] of TYPES) if (lower.endsWith(suffix)) return type
  return 'other'
}
