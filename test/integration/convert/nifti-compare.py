"""Compare NIfTI files pairwise with nibabel, and report each pair as JSON (the test asserts on it).

usage: /usr/bin/python3 nifti-compare.py < [[expected, actual], ...]
For each pair: both shapes, the largest affine difference (mm), whether the voxel values are equal
(after scl_slope/inter, as nibabel reads them), the dtypes, and where the first difference is.
"""
import json
import sys

import nibabel as nib
import numpy as np

out = []
for expected, actual in json.load(sys.stdin):
    a, b = nib.load(expected), nib.load(actual)
    da, db = np.asanyarray(a.dataobj), np.asanyarray(b.dataobj)
    same_shape = da.shape == db.shape
    equal = bool(same_shape and np.array_equal(da, db))
    first = None
    if same_shape and not equal:
        idx = np.argwhere(da != db)[0]
        first = {"index": idx.tolist(), "expected": float(da[tuple(idx)]), "actual": float(db[tuple(idx)])}
    out.append({
        "expected": expected,
        "actual": actual,
        "shape": [list(a.shape), list(b.shape)],
        "dtype": [str(da.dtype), str(db.dtype)],
        "affineDiff": float(np.max(np.abs(a.affine - b.affine))),
        "sformDiff": float(np.max(np.abs(a.get_sform() - b.get_sform()))),
        "voxelsEqual": equal,
        "firstDifference": first,
        "voxels": int(da.size),
    })
print(json.dumps(out))
