"""Writes reference NIfTI images with nibabel for the mask I/O test: DIR/NAME.nii(.gz) per case; prints the cases."""
import json
import sys

import nibabel as nib
import numpy as np

d = sys.argv[1]
rng = np.random.default_rng(7)
cases = []


def rot(a, b, c):
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rz @ ry @ rx


def affine(sizes, angles, shift):
    a = np.eye(4)
    a[:3, :3] = rot(*angles) @ np.diag(sizes)
    a[:3, 3] = shift
    return a


# 1: oblique, anisotropic float32, sform 2 and a different qform (code 1)
a1 = affine([0.7, 1.1, 3.2], [0.3, -0.2, 0.5], [-80.5, 12.25, 40])
img = nib.Nifti1Image(rng.normal(100, 20, (21, 17, 9)).astype(np.float32), a1)
img.set_qform(affine([0.7, 1.1, 3.2], [0.1, 0, 0], [1, 2, 3]), code=1)
img.set_sform(a1, code=2)
img.header.set_xyzt_units('mm', 'sec')
nib.save(img, f'{d}/oblique.nii.gz')
cases.append('oblique.nii.gz')

# 2: big-endian int16 with scaling, qform only (sform code 0), a flip (negative determinant)
a2 = affine([1.5, 0.9, 2.0], [0, 0, 0.2], [10, -20, 5]) @ np.diag([-1, 1, 1, 1])
data = rng.integers(-500, 1500, (13, 11, 7)).astype('>i2')
img = nib.Nifti1Image(data, None)
img.set_qform(a2, code=1)
img.set_sform(None, code=0)
img.header.set_slope_inter(0.5, -3)
nib.save(img, f'{d}/bigendian.nii')
cases.append('bigendian.nii')

# 3: 4-D uint16, sform code 4 (MNI), qform code 0
a3 = affine([2, 2, 2], [0, 0, 0], [-90, -126, -72])
img = nib.Nifti1Image(rng.integers(0, 4000, (12, 10, 8, 3)).astype(np.uint16), a3)
img.set_qform(None, code=0)
img.set_sform(a3, code=4)
nib.save(img, f'{d}/fourd.nii.gz')
cases.append('fourd.nii.gz')

# 4: NIfTI-2 float64
img = nib.Nifti2Image(rng.normal(0, 1, (9, 8, 6)), affine([1.2, 1.2, 4], [-0.1, 0.2, 0], [3, 4, 5]))
nib.save(img, f'{d}/nifti2.nii.gz')
cases.append('nifti2.nii.gz')

print(json.dumps(cases))
