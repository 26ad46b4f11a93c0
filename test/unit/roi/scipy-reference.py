"""Reference values for the ROI engine's tests, from scipy.ndimage, numpy and nibabel (never from nora's code).

Usage: scipy-reference.py JOBS.json  -- reads the jobs, writes each job's array to DIR/ID.out (Fortran order, i
fastest, as nora's voxel order) and prints {id: {...scalars}} as JSON. Inputs are raw files in Fortran order.
"""
import json
import os
import sys

import numpy as np
from scipy import ndimage

DTYPES = {'uint8': np.uint8, 'int8': np.int8, 'int16': np.int16, 'uint16': np.uint16, 'int32': np.int32,
          'uint32': np.uint32, 'float32': np.float32, 'float64': np.float64}


def load(path, dtype, dims):
    return np.fromfile(path, dtype=DTYPES[dtype]).reshape(dims, order='F')


def save(path, arr, dtype):
    np.asarray(arr).astype(DTYPES[dtype]).ravel(order='F').tofile(path)


def affine(flat):
    return np.array(flat, dtype=np.float64).reshape(4, 4)


def morph(job, d):
    m = load(job['mask'], 'uint8', job['dims']).astype(bool)
    dims = job['dims']
    used = [a for a in range(3) if dims[a] > 1]
    sq = m.reshape([dims[a] for a in used]) if len(used) < 3 else m
    st = ndimage.generate_binary_structure(sq.ndim, 1)
    it = job['iterations']
    f = {'erode': ndimage.binary_erosion, 'dilate': ndimage.binary_dilation,
         'open': ndimage.binary_opening, 'close': ndimage.binary_closing}[job['kind']]
    out = f(sq, structure=st, iterations=it).reshape(dims)
    save(d, out, 'uint8')
    return {'voxels': int(out.sum()), 'centre': [float(c) for c in ndimage.center_of_mass(m)]}


def label(job, d):
    m = load(job['mask'], 'uint8', job['dims'])
    st = ndimage.generate_binary_structure(3, 1 if job['connectivity'] == 6 else 3)
    lab, n = ndimage.label(m, structure=st)
    save(d, lab, 'int32')
    sizes = np.bincount(lab.ravel())
    keep = np.zeros(n + 1, dtype=bool)
    keep[1:] = sizes[1:] >= job.get('min', 0)
    save(d + '.salt', keep[lab], 'uint8')
    return {'count': int(n)}


def grow(job, d):
    img = load(job['image'], job['dtype'], job['dims'])
    st = ndimage.generate_binary_structure(3, 1 if job['connectivity'] == 6 else 3)
    inside = (img >= job['low']) & (img <= job['high'])
    lab, _ = ndimage.label(inside, structure=st)
    s = lab[tuple(job['seed'])]
    out = (lab == s) if s > 0 else np.zeros_like(inside)
    save(d, out, 'uint8')
    return {'voxels': int(out.sum())}


def stats(job, d):
    img = load(job['image'], job['dtype'], job['dims']).astype(np.float64) * job['slope'] + job['inter']
    m = load(job['mask'], 'uint8', job['dims']).astype(bool)
    vals = img[m]
    vals = vals[~np.isnan(vals)]
    a = affine(job['affine'])
    res = {'voxels': int(m.sum()), 'samples': int(vals.size),
           'volumeMl': float(m.sum() * abs(np.linalg.det(a[:3, :3])) / 1000)}
    if vals.size:
        p50, p25, p75 = np.percentile(vals, [50, 25, 75])
        res.update(mean=float(np.mean(vals)), std=float(np.std(vals)), median=float(p50), p25=float(p25), p75=float(p75))
    return res


def resample(job, d):
    img = load(job['image'], job['dtype'], job['dims']).astype(np.float64)
    a, t = affine(job['affine']), affine(job['taffine'])
    tdims = job['tdims']
    ijk = np.indices(tdims).reshape(3, -1)
    ijk = np.vstack([ijk, np.ones(ijk.shape[1])])
    c = (np.linalg.inv(a) @ t @ ijk)[:3]
    n = np.array(job['dims'])[:, None]
    inside = np.all((c >= -0.5) & (c < n - 0.5), axis=0)
    cc = np.clip(c, 0, n - 1)
    vals = ndimage.map_coordinates(img, cc, order=job['order'], mode='nearest')
    vals[~inside] = np.nan
    save(d, vals.reshape(tdims), 'float64')
    return {}


def ball(job, d):
    a = affine(job['affine'])[:3, :3]
    dims = job['dims']
    c = np.array(job['centre'], dtype=np.float64)
    ijk = np.indices(dims).reshape(3, -1).astype(np.float64)
    mm = a @ (ijk - c[:, None])
    r = job['radius']
    out = (mm ** 2).sum(axis=0) <= r * r * (1 + 1e-9)
    if job['mode'] == '2d':
        out &= ijk[job['plane']] == c[job['plane']]
    out |= np.all(ijk == c[:, None], axis=0)
    save(d, out.reshape(dims), 'uint8')
    return {'voxels': int(out.sum())}


def rangepen(job, d):
    """The pen's footprint (as ball) with values in [low, high]; connected: the centre's component of that, by label."""
    ball(job, d)
    foot = load(d, 'uint8', job['dims']).astype(bool)
    img = load(job['image'], job['dtype'], job['dims'])
    taken = foot & (img >= job['low']) & (img <= job['high'])
    if job['connected']:
        st = ndimage.generate_binary_structure(3, 1 if job['connectivity'] == 6 else 3)
        lab, _ = ndimage.label(taken, structure=st)
        c = lab[tuple(job['centre'])]
        taken = (lab == c) if c > 0 else np.zeros_like(taken)
    save(d, taken, 'uint8')
    return {'voxels': int(taken.sum())}


def niftimask(job, d):
    import nibabel as nib
    m = nib.load(job['path'])
    r = nib.load(job['reference'])
    data = np.asanyarray(m.dataobj)
    save(d, data, 'uint8')
    h, rh = m.header, r.header
    return {
        'shape': list(map(int, m.shape)), 'refShape': list(map(int, r.shape[:3])),
        'dtype': str(data.dtype),
        'affine': m.affine.tolist(), 'refAffine': r.affine.tolist(),
        'sform': [int(h['sform_code']), m.get_sform().tolist()], 'refSform': [int(rh['sform_code']), r.get_sform().tolist()],
        'qform': [int(h['qform_code']), m.get_qform().tolist()], 'refQform': [int(rh['qform_code']), r.get_qform().tolist()],
        'zooms': [float(z) for z in h.get_zooms()], 'refZooms': [float(z) for z in rh.get_zooms()[:3]],
        'units': list(h.get_xyzt_units()), 'refUnits': list(rh.get_xyzt_units()),
        'slope': [None if x is None else float(x) for x in h.get_slope_inter()],
    }


def nifti_read(job, d):
    import nibabel as nib
    img = nib.load(job['path'])
    data = np.asanyarray(img.dataobj.get_unscaled())
    if data.ndim > 3:
        data = data[..., 0]
    save(d, data, 'float64')
    slope, inter = img.dataobj.slope, img.dataobj.inter
    return {'shape': list(map(int, img.shape)), 'affine': img.affine.tolist(), 'slope': float(slope), 'inter': float(inter)}


OPS = {'morph': morph, 'label': label, 'grow': grow, 'stats': stats, 'resample': resample, 'ball': ball, 'rangepen': rangepen,
       'niftimask': niftimask, 'niftiread': nifti_read}

jobs = json.load(open(sys.argv[1]))
out = {}
for job in jobs:
    out[job['id']] = OPS[job['op']](job, os.path.join(os.path.dirname(sys.argv[1]), job['id'] + '.out'))
print(json.dumps(out))
