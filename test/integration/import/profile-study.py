"""A study that fills every attribute of DICOM PS3.15 Table E.1-1 with a value, and a dumper of DICOM files, by pydicom.

usage: /usr/bin/python3 profile-study.py build TABLE.tsv OUTDIR STUDY(1|2) VARIANT(0|1)
         writes an MR study (study 1: two series of three slices; study 2: one series, same patient, same
         frame of reference) and prints {"files": [...]}; variant 1 has other dates and times (and the same UIDs)
       /usr/bin/python3 profile-study.py dump FILE...
         prints {FILE: {"meta": {TAG: VALUE}, "ds": {TAG: {"vr", "value", "kw"}}}}; sequences as lists of such
         datasets, bytes as hex, person names and multi-values as text

TABLE.tsv: tag, VR, basic action, Retain Patient Characteristics action, Retain Full Dates action, name (one
attribute a line). Every value is unique to its attribute (N<tag> for text, a date of its own...), so that a
value found anywhere afterwards names the attribute it came from.
"""
import datetime
import json
import os
import sys

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

MR = "1.2.840.10008.5.1.4.1.1.4"
ROOT = "1.2.826.0.1.3680043.9.7777"
# Patterned rows of the table, as one concrete attribute each: a curve, overlay data, overlay comments.
CONCRETE = {"50XXXXXX": "50003000", "60XX3000": "60003000", "60XX4000": "60004000"}


def rows(table):
    out = []
    for line in open(table):
        if line.strip():
            tag, vr, basic, pat, dates, name = line.rstrip("\n").split("\t")
            out.append({"tag": tag, "vr": vr, "basic": basic, "name": name})
    return out


def value_of(tag, vr, idx, variant):
    """A value of the VR that is unique to the attribute (and to the variant, for dates and times)."""
    text = "N" + tag
    day = datetime.date(1950 - 30 * variant, 1, 1) + datetime.timedelta(days=7 * idx)
    tm = "%02d%02d%02d.%06d" % (idx % 24, idx % 60, (idx * 7) % 60, 100000 + 400000 * variant + idx)
    if vr in ("AE", "CS", "SH", "LO", "LT", "ST", "UT", "UC"):
        return text
    if vr == "PN":
        return text + "^Secret"
    if vr == "UR":
        return "http://n%s.example/" % tag.lower()
    if vr == "DA":
        return day.strftime("%Y%m%d")
    if vr == "TM":
        return tm
    if vr == "DT":
        return day.strftime("%Y%m%d") + tm
    if vr == "AS":
        return "%03dY" % (idx % 100)
    if vr == "DS":
        return "%d.25" % (1000 + idx)
    if vr == "IS":
        return str(100000 + idx)
    if vr in ("US", "SS", "UL", "SL"):
        return 1000 + idx
    if vr == "UI":
        return "%s.%d" % (ROOT, int(tag, 16))
    if vr in ("OB", "OW", "UN"):
        b = text.encode()
        return b + b"\0" * (len(b) % 2)
    if vr == "SQ":
        item = Dataset()
        item.CodeValue = "C%d" % idx
        item.CodingSchemeDesignator = "99NORA"
        item.CodeMeaning = text + "SQ"
        return Sequence([item])
    raise ValueError("no value for VR %s (%s)" % (vr, tag))


def private(ds, nested):
    block = ds.private_block(0x0009, "NORA PRIVATE TEST", create=True)
    block.add_new(0x01, "LO", "PRIVSECRET" + nested)
    if not nested:
        other = ds.private_block(0x0011, "NORA OTHER", create=True)
        other.add_new(0x02, "SH", "PRIVSECRETB")
        other.add_new(0x03, "UN", b"PRIVSECRETUN")


def build(table, out, study, variant):
    os.makedirs(out, exist_ok=True)
    attrs = rows(table)
    series = [1, 2] if study == "1" else [1]
    study_uid = "%s.100.%s" % (ROOT, study)
    first_sop = "%s.300.%s.1.1" % (ROOT, study)
    files = []
    for s in series:
        for n in (1, 2, 3):
            ds = Dataset()
            for idx, a in enumerate(attrs):
                tag = CONCRETE.get(a["tag"], a["tag"])
                if a["tag"] == "GGGGEEEE" or int(tag[:4], 16) in (0x0000, 0x0002):
                    continue  # private attributes below; command elements never occur in a stored dataset; meta below
                vr = a["vr"].split("/")[-1]
                ds.add_new(int(tag, 16), vr, value_of(tag, vr, idx, variant))
            # The U* sequences reference the study's first instance, and carry attributes the profile acts on.
            for kw in ("ReferencedImageSequence", "SourceImageSequence"):
                item = Dataset()
                item.ReferencedSOPClassUID = MR
                item.ReferencedSOPInstanceUID = first_sop
                item.InstitutionName = "NESTEDINSTITUTION"
                private(item, "NESTED")
                setattr(ds, kw, Sequence([item]))
            # The image itself, and the identity the pseudonym replaces.
            ds.PatientName = "Secretperson^Hidden"
            ds.PatientID = "SECRETID42"
            ds.PatientBirthDate = "19600412"
            ds.StudyDate = ("2024030%s" if variant == 0 else "2023110%s") % study
            ds.StudyTime = "101112" if variant == 0 else "090807"
            ds.StudyInstanceUID = study_uid
            ds.SeriesInstanceUID = "%s.200.%s.%d" % (ROOT, study, s)
            ds.SOPInstanceUID = "%s.300.%s.%d.%d" % (ROOT, study, s, n)
            ds.SOPClassUID = MR
            ds.Modality = "MR"
            ds.SeriesNumber = s
            ds.InstanceNumber = n
            ds.SeriesDescription = "N0008103E"
            ds.ProtocolName = "N00181030"
            ds.ImagePositionPatient = [0, 0, float(n)]
            ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
            ds.PixelSpacing = [1, 1]
            ds.SliceThickness = 1
            ds.EchoTime = 30
            ds.RepetitionTime = 2000
            ds.Rows = ds.Columns = 8
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.BitsAllocated = 16
            ds.BitsStored = 12
            ds.HighBit = 11
            ds.PixelRepresentation = 0
            ds.PixelData = b"".join(((i * 7 + n * 11 + s + 13 * int(study)) % 4096).to_bytes(2, "little") for i in range(64))
            private(ds, "")
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = MR
            meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            meta.TransferSyntaxUID = ExplicitVRLittleEndian
            meta.SourceApplicationEntityTitle = "SECRETSCANNER"
            ds.file_meta = meta
            ds.is_little_endian = True
            ds.is_implicit_VR = False
            path = os.path.join(out, "s%d_%d.dcm" % (s, n))
            ds.save_as(path, write_like_original=False)
            files.append(path)
    print(json.dumps({"files": files}))


def dump_value(elem):
    if elem.VR == "SQ":
        return [dump_ds(item) for item in elem.value]
    v = elem.value
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if v is None:
        return ""
    if isinstance(v, (list, pydicom.multival.MultiValue)):
        return "\\".join(str(x) for x in v)
    return str(v)


def dump_ds(ds):
    return {"%08X" % elem.tag: {"vr": elem.VR, "value": dump_value(elem), "kw": elem.keyword} for elem in ds}


def dump(paths):
    out = {}
    for p in paths:
        ds = pydicom.dcmread(p, force=True)
        out[p] = {"meta": {"%08X" % e.tag: dump_value(e) for e in ds.file_meta}, "ds": dump_ds(ds)}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        dump(sys.argv[2:])
