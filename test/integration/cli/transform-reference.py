"""Reference values for `nora transform`'s tests from nibabel, numpy and scipy (never from nora's code).

Usage: transform-reference.py COMMAND ARGS...  -- prints JSON.
  make DIR                       writes img.nii.gz (float32, oblique), mask.nii.gz (uint8 0/1), ref.nii.gz (another grid),
                                 qonly.nii (qform only), big.nii (int16), n2.nii (NIfTI-2),
                                 four.nii.gz (4-D), the matrices rigid.txt, shear.txt
  header OUT IN M.txt            the written header vs M @ A_in (sform, qform), voxels unchanged
  world OUT IN M.txt VOXEL ORDER the WORLD grid from the corners (numpy) and the voxels vs scipy.ndimage.affine_transform
  ongrid OUT IN M.txt REF ORDER  the same onto REF's matrix
  markers FIELD IMG JSON         the field vs the Gaussian markers (RAS pull-back, stored LPS)
  points FIELD IMG A B SIGMA     the field vs scipy.interpolate.RBFInterpolator (gaussian, degree -1)
  warp OUT IN FIELD              the warped voxels vs scipy.ndimage.map_coordinates with the field read by nibabel
"""
import json
import os
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage
from scipy.interpolate import RBFInterpolator


def rot(ax, deg):
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    m = np.eye(4)
    i, j = [(1, 2), (0, 2), (0, 1)][ax]
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    if ax == 1:
        m[i, j], m[j, i] = s, -s
    return m


def smooth(shape, seed):
    r = np.random.RandomState(seed)
    return ndimage.gaussian_filter(r.rand(*shape) * 1000, 1.5).astype(np.float32)


def make(d):
    a = rot(2, 20) @ rot(0, -10) @ np.diag([1.5, 1.2, 2.0, 1])
    a[:3, 3] = [-30, -20, 10]
    img = nib.Nifti1Image(smooth((24, 20, 14), 1), a)
    img.set_qform(a, 1)
    img.set_sform(a, 1)
    nib.save(img, os.path.join(d, 'img.nii.gz'))
    mask = (smooth((24, 20, 14), 2) > 500).astype(np.uint8)
    nib.save(nib.Nifti1Image(mask, a), os.path.join(d, 'mask.nii.gz'))
    b = np.diag([2.0, 2.0, 2.5, 1])
    b[:3, 3] = [-25, -30, 0]
    nib.save(nib.Nifti1Image(np.zeros((20, 22, 12), np.float32), b), os.path.join(d, 'ref.nii.gz'))
    q = nib.Nifti1Image(smooth((12, 10, 8), 3), None)
    q.set_qform(a, 1)
    q.set_sform(None, 0)
    nib.save(q, os.path.join(d, 'qonly.nii'))
    big = nib.Nifti1Image((smooth((12, 10, 8), 4)).astype('>i2'), a)
    nib.save(big, os.path.join(d, 'big.nii'))
    nib.save(nib.Nifti2Image(smooth((12, 10, 8), 5), a), os.path.join(d, 'n2.nii'))
    nib.save(nib.Nifti1Image(np.stack([smooth((12, 10, 8), 6)] * 3, axis=-1), a), os.path.join(d, 'four.nii.gz'))
    rigid = np.eye(4) @ rot(0, 8) @ rot(1, -5) @ rot(2, 12)
    rigid[:3, 3] = [4.5, -3.0, 2.25]
    shear = rigid.copy()
    shear[:3, :3] = rigid[:3, :3] @ np.array([[1.1, 0.2, 0], [0, 0.9, 0.1], [0, 0, 1.05]])
    for name, m in [('rigid.txt', rigid), ('shear.txt', shear)]:
        np.savetxt(os.path.join(d, name), m, fmt='%.10f')
    return {}


def header(out, inp, mfile):
    o, i = nib.load(out), nib.load(inp)
    m = np.loadtxt(mfile)
    want = m @ i.affine
    h = o.header
    q, qcode = o.get_qform(coded=True)
    res = {
        'sformError': float(np.abs(o.get_sform() - want).max()),
        'affineError': float(np.abs(o.affine - want).max()),
        'sformCode': int(h['sform_code']),
        'qformCode': int(qcode),
        'voxelsEqual': bool(np.array_equal(np.asarray(o.dataobj), np.asarray(i.dataobj))),
        'dtype': str(o.get_data_dtype()),
        'shape': list(o.shape),
    }
    if qcode > 0:
        res['qformError'] = float(np.abs(q - want).max())
    return res


def resampled(out, inp, m, grid_affine, order):
    o, i = nib.load(out), nib.load(inp)
    data = np.asarray(i.dataobj).astype(np.float64)
    # output voxel -> input voxel: A_in^-1 M^-1 A_out
    t = np.linalg.inv(i.affine) @ np.linalg.inv(m) @ grid_affine
    want = ndimage.affine_transform(data, t[:3, :3], offset=t[:3, 3], output_shape=o.shape[:3], order=order, mode='nearest')
    idx = np.indices(o.shape[:3]).reshape(3, -1)
    src = t[:3, :3] @ idx + t[:3, 3:4]
    n = np.array(data.shape)[:, None]
    inside = np.all((src >= 0) & (src <= n - 1), axis=0).reshape(o.shape[:3])
    got = np.asarray(o.dataobj).astype(np.float64)
    diff = np.abs(got - want)[inside]
    return {'compared': int(inside.sum()), 'maxDiff': float(diff.max()) if diff.size else None, 'range': float(data.max() - data.min()),
            'outsideZero': bool(np.all(got[~np.all((src >= -0.5) & (src < n - 0.5), axis=0).reshape(o.shape[:3])] == 0)),
            'dtype': str(o.get_data_dtype())}


def world(out, inp, mfile, voxel, order):
    o, i = nib.load(out), nib.load(inp)
    m = np.loadtxt(mfile)
    v = float(voxel)
    corners = np.array([[x, y, z, 1] for x in (-0.5, i.shape[0] - 0.5) for y in (-0.5, i.shape[1] - 0.5) for z in (-0.5, i.shape[2] - 0.5)]).T
    w = (m @ i.affine @ corners)[:3]
    lo, hi = w.min(axis=1), w.max(axis=1)
    shape = [max(1, int(np.ceil((hi[a] - lo[a]) / v - 1e-6))) for a in range(3)]
    grid = np.diag([v, v, v, 1.0])
    grid[:3, 3] = lo + v / 2
    res = resampled(out, inp, m, grid, int(order))
    res.update({'shape': list(o.shape), 'wantShape': shape, 'gridError': float(np.abs(o.affine - grid).max())})
    return res


def ongrid(out, inp, mfile, ref, order):
    r = nib.load(ref)
    res = resampled(out, inp, np.loadtxt(mfile), r.affine, int(order))
    o = nib.load(out)
    res.update({'shape': list(o.shape), 'wantShape': list(r.shape[:3]), 'gridError': float(np.abs(o.affine - r.affine).max())})
    return res


def centres(img):
    idx = np.indices(img.shape[:3]).reshape(3, -1)
    return (img.affine[:3, :3] @ idx + img.affine[:3, 3:4]).T  # (n, 3) RAS mm, numpy (C) order


def field_ras(f):
    u = np.asarray(f.dataobj)[:, :, :, 0, :].astype(np.float64)  # LPS
    u[..., 0] *= -1
    u[..., 1] *= -1
    return u


def check_field(path, want):
    f = nib.load(path)
    h = f.header
    got = field_ras(f)
    return {'maxDiff': float(np.abs(got - want).max()), 'maxAbs': float(np.abs(want).max()), 'intent': int(h['intent_code']),
            'shape': list(f.shape), 'dtype': str(f.get_data_dtype()), 'units': h.get_xyzt_units()[0]}


def markers(field, img, spec):
    f = nib.load(field)
    x = centres(f).reshape(f.shape[:3] + (3,))
    want = np.zeros(f.shape[:3] + (3,))
    for mk in json.loads(spec):
        c, d, s = np.array(mk[:3]), np.array(mk[3:6]), mk[6]
        g = np.exp(-np.sum((x - (c + d)) ** 2, axis=-1) / (2 * s * s))
        want -= g[..., None] * d
    return check_field(field, want)


def points(field, img, a, b, sigma):
    f = nib.load(field)
    moving, fixed = np.loadtxt(a, ndmin=2), np.loadtxt(b, ndmin=2)
    s = float(sigma)
    rbf = RBFInterpolator(fixed, moving - fixed, kernel='gaussian', epsilon=1 / (s * np.sqrt(2)), degree=-1)
    want = rbf(centres(f)).reshape(f.shape[:3] + (3,))
    return check_field(field, want)


def warp(out, inp, field):
    o, i, f = nib.load(out), nib.load(inp), nib.load(field)
    u = field_ras(f)
    x = centres(f).reshape(f.shape[:3] + (3,)) + u
    src = (np.linalg.inv(i.affine)[:3, :3] @ x.reshape(-1, 3).T + np.linalg.inv(i.affine)[:3, 3:4])
    data = np.asarray(i.dataobj).astype(np.float64)
    want = ndimage.map_coordinates(data, src, order=1, mode='nearest').reshape(f.shape[:3])
    n = np.array(data.shape)[:, None]
    inside = np.all((src >= 0) & (src <= n - 1), axis=0).reshape(f.shape[:3])
    got = np.asarray(o.dataobj).astype(np.float64)
    diff = np.abs(got - want)[inside]
    moved = float(np.abs(u).max())
    return {'compared': int(inside.sum()), 'maxDiff': float(diff.max()), 'maxDisplacement': moved, 'range': float(data.max() - data.min()),
            'shape': list(o.shape), 'gridError': float(np.abs(o.affine - f.affine).max())}


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    print(json.dumps({'make': make, 'header': header, 'world': world, 'ongrid': ongrid, 'markers': markers, 'points': points, 'warp': warp}[cmd](*args)))
