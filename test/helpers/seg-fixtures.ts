import { join } from 'node:path'
import { PYDICOM, python } from './dicom-fixtures'

/**
 * A CT series written by pydicom into `dir` (im00.dcm ...): `slices` images of 40 x 56, rotated 20 degrees about an
 * oblique axis, pixel spacing 0.8 x 0.6, slices 2.5 mm apart, one series and frame of reference. Returns its
 * SeriesInstanceUID. Oblique and anisotropic on purpose: a SEG (or ROI) that gets an axis wrong shows it.
 */
export function obliqueCtSeries(dir: string, slices = 14): string {
  return python(
    `import sys, numpy as np, pydicom
from pydicom.uid import generate_uid
base = pydicom.dcmread(sys.argv[1])
out, n = sys.argv[2], int(sys.argv[3])
a = np.deg2rad(20)
row = np.array([np.cos(a), np.sin(a), 0.0]); col = np.array([-np.sin(a) * np.cos(0.3), np.cos(a) * np.cos(0.3), np.sin(0.3)])
normal = np.cross(row, col)
series, frame = generate_uid(), generate_uid()
for k in range(n):
    ds = base.copy()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID = series; ds.FrameOfReferenceUID = frame
    ds.SeriesNumber = 3; ds.InstanceNumber = k + 1
    ds.Rows, ds.Columns = 40, 56
    ds.PixelSpacing = [0.8, 0.6]; ds.SliceThickness = 2.5
    ds.ImageOrientationPatient = [float(x) for x in (*row, *col)]
    ds.ImagePositionPatient = [float(x) for x in (np.array([-12.0, 30.0, 5.0]) + k * 2.5 * normal)]
    ds.PixelData = (np.arange(40 * 56, dtype=np.int16).reshape(40, 56) + k).tobytes()
    ds.save_as(f"{out}/im{k:02d}.dcm")
print(series)`,
    [join(PYDICOM, 'CT_small.dcm'), dir, String(slices)],
  ).trim()
}

/**
 * An ellipsoid mask on the grid of the NIfTI `reference` (nibabel), saved as `out` (uint8, the reference's affine
 * and header), and its voxels as raw bytes (i fastest) with dims and affine, for comparisons.
 */
export function ellipsoidMask(reference: string, out: string): { dims: [number, number, number]; affine: number[][]; voxels: number } {
  return JSON.parse(
    python(
      `import sys, json, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
nx, ny, nz = img.shape[:3]
i, j, k = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing='ij')
m = (((i - nx * 0.45) / (nx * 0.3)) ** 2 + ((j - ny * 0.55) / (ny * 0.25)) ** 2 + ((k - nz * 0.5) / (nz * 0.3)) ** 2 <= 1).astype(np.uint8)
out = sys.argv[2]
if out.endswith('.raw'):
    open(out, 'wb').write(m.transpose(2, 1, 0).tobytes())
else:
    hdr = img.header.copy(); hdr.set_data_dtype(np.uint8)
    nib.save(nib.Nifti1Image(m, img.affine, hdr), out)
print(json.dumps({'dims': [nx, ny, nz], 'affine': img.affine.tolist(), 'voxels': int(m.sum())}))`,
      [reference, out],
    ),
  )
}
