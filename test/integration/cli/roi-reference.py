"""nibabel/scipy/numpy side of the `nora roi` CLI test.

make DIR: writes DIR/img.nii.gz (oblique, anisotropic float32, sform 2 + qform 1), DIR/mask.nii.gz and DIR/mask2.nii.gz
  (blobs and salt, same grid), DIR/moved.nii.gz (img on another grid); prints {"seed": [i,j,k], "value": v}.
check OP OUT ARGS...: loads nora's output OUT and the inputs with nibabel, computes the expected mask with scipy/numpy,
  prints {"differing": n, "voxels": n, "geometry": bool} (geometry: shape, affine, sform/qform codes as the reference).
stats IMG MASK: prints numpy's statistics of IMG (scaled, as nibabel's get_fdata) inside MASK.
"""
import json
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage

cmd = sys.argv[1]
CROSS = ndimage.generate_binary_structure(3, 1)
FULL = ndimage.generate_binary_structure(3, 3)


def geometry_same(a, b):
    return (a.shape[:3] == b.shape[:3] and np.allclose(a.affine, b.affine, atol=1e-4)
            and int(a.header['sform_code']) == int(b.header['sform_code'])
            and int(a.header['qform_code']) == int(b.header['qform_code'])
            and np.allclose(a.get_qform(), b.get_qform(), atol=1e-4))


if cmd == 'make':
    d = sys.argv[2]
    rng = np.random.default_rng(3)
    a = np.array([[0.8, -0.2, 0.3, -80], [0.15, 1.1, -0.4, 12], [-0.1, 0.3, 2.5, 40], [0, 0, 0, 1]])
    shape = (40, 32, 18)
    x, y, z = np.indices(shape)
    img = 100 + 50 * np.exp(-((x - 20) ** 2 + (y - 16) ** 2 + (z - 9) ** 2) / 60.0) + rng.normal(0, 5, shape)
    im = nib.Nifti1Image(img.astype(np.float32), a)
    im.set_qform(np.diag([0.8, 1.1, 2.5, 1]), code=1)
    im.set_sform(a, code=2)
    nib.save(im, f'{d}/img.nii.gz')
    m = ((x - 15) ** 2 + (y - 12) ** 2 + (z - 6) ** 2 < 40) | ((x - 30) ** 2 + (y - 20) ** 2 + (z - 12) ** 2 < 30) | (rng.random(shape) < 0.01)
    m2 = ((x - 18) ** 2 + (y - 14) ** 2 + (z - 8) ** 2 < 70)
    for name, data in (('mask', m), ('mask2', m2)):
        mi = nib.Nifti1Image(data.astype(np.uint8), a)
        mi.set_qform(np.diag([0.8, 1.1, 2.5, 1]), code=1)
        mi.set_sform(a, code=2)
        nib.save(mi, f'{d}/{name}.nii.gz')
    b = a.copy()
    b[:3, 3] += [1.3, -0.7, 0.9]
    nib.save(nib.Nifti1Image(img[2:, 1:, :].astype(np.float32), b), f'{d}/moved.nii.gz')
    nib.save(nib.Nifti1Image(m[:, :, :10].astype(np.uint8), a), f'{d}/small.nii.gz')
    print(json.dumps({'seed': [20, 16, 9], 'value': float(img[20, 16, 9])}))
elif cmd == 'check':
    op, out = sys.argv[2], nib.load(sys.argv[3])
    args = sys.argv[4:]
    ref = nib.load(args[0])
    arr = lambda p: np.asanyarray(nib.load(p).dataobj) != 0
    if op in ('erode', 'dilate', 'open', 'close'):
        f = {'erode': ndimage.binary_erosion, 'dilate': ndimage.binary_dilation,
             'open': ndimage.binary_opening, 'close': ndimage.binary_closing}[op]
        want = f(arr(args[0]), structure=CROSS, iterations=int(args[1]))
    elif op in ('union', 'intersect', 'diff'):
        a, b = arr(args[0]), arr(args[1])
        want = {'union': a | b, 'intersect': a & b, 'diff': a & ~b}[op]
    elif op == 'salt':
        lab, n = ndimage.label(arr(args[0]), structure=CROSS if args[2] == '6' else FULL)
        sizes = np.bincount(lab.ravel())
        keep = sizes >= int(args[1])
        keep[0] = False
        want = keep[lab]
    elif op == 'grow':
        img = ref.get_fdata()
        lab, _ = ndimage.label((img >= float(args[2])) & (img <= float(args[3])), structure=CROSS if args[4] == '6' else FULL)
        seed = tuple(int(v) for v in args[1].split(','))
        want = lab == lab[seed]
    got = np.asanyarray(out.dataobj)
    print(json.dumps({'differing': int((got.astype(bool) != want).sum()), 'voxels': int(want.sum()),
                      'geometry': bool(geometry_same(out, ref)), 'dtype': str(got.dtype)}))
elif cmd == 'stats':
    img, m = nib.load(sys.argv[2]).get_fdata(), np.asanyarray(nib.load(sys.argv[3]).dataobj) != 0
    v = img[m]
    p50, p25, p75 = np.percentile(v, [50, 25, 75])
    vol = m.sum() * abs(np.linalg.det(nib.load(sys.argv[3]).affine[:3, :3])) / 1000
    print(json.dumps({'voxels': int(m.sum()), 'mean': float(v.mean()), 'std': float(v.std()), 'median': float(p50),
                      'p25': float(p25), 'p75': float(p75), 'volumeMl': float(vol)}))
