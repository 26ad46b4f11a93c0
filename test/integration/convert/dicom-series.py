"""Group DICOM files into series by SeriesInstanceUID, as an importer does, and print them as JSON.

usage: /usr/bin/python3 dicom-series.py FOLDER
Prints {SeriesInstanceUID: {"files": [path, ...]}} with paths sorted; DICOMDIR files and non-DICOM files are
left out.
"""
import json
import os
import sys

import pydicom

DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
series = {}
for root, _, names in os.walk(sys.argv[1]):
    for name in names:
        path = os.path.join(root, name)
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:
            continue
        if str(getattr(ds, "SOPClassUID", "")) == DICOMDIR_CLASS or "SeriesInstanceUID" not in ds:
            continue
        series.setdefault(str(ds.SeriesInstanceUID), []).append(path)
print(json.dumps({uid: {"files": sorted(paths)} for uid, paths in sorted(series.items())}))
