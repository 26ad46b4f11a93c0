#!/usr/bin/python3
"""
Hostile DICOM instances for test/security/dicom-fuzz.test.ts, made by pydicom (not by nora), seeded so that every run
makes the same bytes: python3 make-cases.py OUT_DIR [SEED] [COUNT].

Writes OUT_DIR/case-NNN.dcm and OUT_DIR.json, the manifest (one entry per case: file, kind, what was made hostile, the
UIDs as written). Every case is its own study (fresh UIDs from the seed), so one case's outcome cannot decide another's.
Kinds:
  string     one string element of an MR instance (every string element of it, plus the ones nora turns into paths)
             set to a hostile value: '..', '/', NUL, 10 KB, <script>, SQL quotes, non-UTF-8 bytes, empty...
  strings    every string element at once set to one hostile value
  uid        Study/Series/SOP Instance UID or Frame of Reference UID set to a hostile value
  truncated  a valid instance cut at a seeded offset (in the meta header, the dataset, the pixel data)
  wrong-vr   an element written with a VR it does not have (Rows as LO, PatientName as US, PixelData as UT...)
The values are written as raw bytes (pydicom's RawDataElement), so nothing is escaped or validated on the way.
"""
import io
import warnings
import json
import os
import random
import sys

import pydicom
from pydicom import config
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

config.settings.writing_validation_mode = config.IGNORE
warnings.simplefilter("ignore")
config.settings.reading_validation_mode = config.IGNORE

TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files'
STRING_VRS = {'AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UR', 'UT'}
UID_KEYWORDS = ['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID', 'FrameOfReferenceUID']
# Elements nora turns into folder or file names, subjects, series names: each gets every hostile value.
PATH_KEYWORDS = ['PatientID', 'PatientName', 'StudyID', 'StudyDescription', 'SeriesDescription', 'ProtocolName', 'SeriesNumber', 'Modality', 'AccessionNumber']
EXTRA = {'SeriesDescription': 'fuzz series', 'ProtocolName': 'fuzz protocol', 'BodyPartExamined': 'HEAD', 'InstitutionalDepartmentName': 'Radiology', 'PerformingPhysicianName': 'Doe^Jane'}

HOSTILE = [
    b'..',
    b'.',
    b'/',
    b'../../../../etc/passwd',
    b'a/b\\c',
    b'x\x00y',
    b'A' * 10240,
    b'<script>alert(1)</script>',
    b"' OR '1'='1'; DROP TABLE studies; --",
    b'"; DELETE FROM files; --',
    b'\xff\xfe\xc3\x28\x80\xc0\xaf',
    b'',
    b'%2e%2e%2f%2e%2e%2f',
    '\u202egnp.exe\u200b'.encode('utf-8'),
    b'*?[]{}$(id)`id`|;&',
    b'\\\\..\\..\\',
]
HOSTILE_UIDS = [b'..', b'.', b'/', b'1.2/3', b'../../etc', b'1.2.3\x00', b'1..2', b'1.2.', b'', b'<script>', b"1' OR '1'='1", b'1.' + b'2' * 70, b'\xff\xfe', b'1.2.3.4 5']


def even(b):
    """DICOM values have even length; strings are padded with a space, UIDs with NUL (PS3.5 6.2)."""
    return b if len(b) % 2 == 0 else b + b' '


def put(ds, keyword_or_tag, value, vr=None):
    tag = Tag(tag_for_keyword(keyword_or_tag)) if isinstance(keyword_or_tag, str) else Tag(keyword_or_tag)
    vr = vr or dictionary_VR(tag)
    value = even(value)
    ds._dict[tag] = RawDataElement(tag, vr, len(value), value, 0, False, True)


def describe(value):
    text = value.decode('latin-1')
    return (text[:60] + f'... ({len(value)} bytes)') if len(value) > 64 else text


class Maker:
    def __init__(self, out, seed):
        self.out = out
        self.rng = random.Random(seed)
        self.cases = []
        self.mr = pydicom.dcmread(os.path.join(TEST_FILES, 'MR_small.dcm'))
        self.ct = pydicom.dcmread(os.path.join(TEST_FILES, 'CT_small.dcm'))

    def uid(self):
        return '2.25.%d' % self.rng.getrandbits(120)

    def base(self, which='mr'):
        ds = (self.mr if which == 'mr' else self.ct).copy()
        ds.file_meta = self.mr.file_meta.copy() if which == 'mr' else self.ct.file_meta.copy()
        for k, v in EXTRA.items():
            setattr(ds, k, v)
        study, series, sop = self.uid(), self.uid(), self.uid()
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = study, series, sop
        ds.FrameOfReferenceUID = self.uid()
        ds.file_meta.MediaStorageSOPInstanceUID = sop
        n = len(self.cases)
        ds.PatientID = 'FUZZ%03d' % n
        ds.PatientName = 'Fuzz^Case%03d' % n
        return ds

    def bytes_of(self, ds):
        buf = io.BytesIO()
        ds.save_as(buf, write_like_original=False)
        return buf.getvalue()

    def add(self, kind, target, value, ds=None, raw=None):
        n = len(self.cases)
        name = 'case-%03d.dcm' % n
        if raw is None:
            raw = self.bytes_of(ds)
        with open(os.path.join(self.out, name), 'wb') as f:
            f.write(raw)
        uids = {}
        for k in UID_KEYWORDS:
            el = ds.get_item(tag_for_keyword(k)) if ds is not None else None
            v = el.value if el is not None else None
            uids[k] = (v if isinstance(v, bytes) else str(v).encode()).decode('latin-1') if v is not None else None
        self.cases.append({'id': n, 'file': name, 'kind': kind, 'target': target, 'value': describe(value) if isinstance(value, bytes) else value, 'uids': uids, 'size': len(raw)})

    def string_cases(self):
        ds0 = self.base()
        keywords = []
        for el in ds0:
            if el.tag.is_private or el.VR not in STRING_VRS or el.tag.group == 0x0002 or el.keyword in ('SpecificCharacterSet',):
                continue
            keywords.append(el.keyword)
        # every string element once, with the hostile values in turn
        for i, kw in enumerate(keywords):
            ds = self.base()
            value = HOSTILE[i % len(HOSTILE)]
            put(ds, kw, value)
            self.add('string', kw, value, ds)
        # the elements nora makes paths of, with a seeded choice of values each
        for kw in PATH_KEYWORDS:
            for value in self.rng.sample(HOSTILE, 5):
                ds = self.base()
                put(ds, kw, value)
                self.add('string', kw, value, ds)
        return keywords

    def all_strings_cases(self, keywords, count):
        for value in self.rng.sample(HOSTILE, count):
            ds = self.base()
            for kw in keywords:
                put(ds, kw, value)
            self.add('strings', 'every string element', value, ds)

    def uid_cases(self, count):
        for i in range(count):
            ds = self.base()
            kw = UID_KEYWORDS[i % len(UID_KEYWORDS)]
            value = HOSTILE_UIDS[(i // len(UID_KEYWORDS) + i) % len(HOSTILE_UIDS)]
            put(ds, kw, value)
            if kw == 'SOPInstanceUID':
                ds.file_meta.MediaStorageSOPInstanceUID = value.decode('latin-1')
            self.add('uid', kw, value, ds)

    def truncated_cases(self, count):
        for i in range(count):
            ds = self.base('ct' if i % 2 else 'mr')
            raw = self.bytes_of(ds)
            where = ['meta', 'dataset', 'pixels'][i % 3]
            pixels = raw.rfind(b'\xe0\x7f\x10\x00')
            if where == 'meta':
                cut = self.rng.randrange(1, 300)
            elif where == 'dataset':
                cut = self.rng.randrange(300, pixels)
            else:
                cut = self.rng.randrange(pixels + 12, len(raw) - 1)
            self.add('truncated', f'cut at byte {cut} of {len(raw)} ({where})', f'{where}', ds, raw[:cut])

    def wrong_vr_cases(self, count):
        wrong = [
            ('Rows', 'LO', b'abc'),
            ('Columns', 'SH', b'-1'),
            ('PatientName', 'US', b'\x01\x00'),
            ('StudyInstanceUID', 'US', b'\x05\x00'),
            ('SeriesInstanceUID', 'FD', b'\x00' * 8),
            ('PixelData', 'UT', b'not pixels'),
            ('BitsAllocated', 'DS', b'16.5'),
            ('InstanceNumber', 'FD', b'\xff' * 8),
            ('StudyDate', 'SQ', b'\xfe\xff\x00\xe0\x04\x00\x00\x00abcd'),
            ('PatientID', 'OB', b'\x00\x01\x02\x03'),
            ('ImagePositionPatient', 'UL', b'\xff\xff\xff\xff'),
            ('PixelSpacing', 'SS', b'\x00\x80'),
            ('SeriesNumber', 'AT', b'\x10\x00\x10\x00'),
            ('Modality', 'OW', b'MR\x00\x00'),
            ('SOPClassUID', 'SH', b'1.2.840.10008.5.1.4.1.1.4'),
            ('ImageOrientationPatient', 'LT', b'1\\0\\0\\0\\1'),
            ('SamplesPerPixel', 'UI', b'1.2'),
            ('BitsStored', 'US', b'\x40\x00'),
            ('HighBit', 'US', b'\xff\x00'),
            ('PhotometricInterpretation', 'UN', b'MONOCHROME2 '),
            ('SliceThickness', 'DS', b'NaN'),
            ('RescaleSlope', 'DS', b'1e999'),
            ('NumberOfFrames', 'IS', b'99999999'),
            ('PixelRepresentation', 'US', b'\x07\x00'),
            ('SpecificCharacterSet', 'CS', b'ISO 2022 IR 999'),
        ]
        for i in range(count):
            kw, vr, value = wrong[i % len(wrong)]
            ds = self.base()
            put(ds, kw, value, vr)
            self.add('wrong-vr', f'{kw} as {vr}', value, ds)


def main():
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    os.makedirs(out, exist_ok=True)
    m = Maker(out, seed)
    keywords = m.string_cases()
    m.all_strings_cases(keywords, 10)
    m.uid_cases(28)
    m.truncated_cases(24)
    m.wrong_vr_cases(count - len(m.cases))
    assert len(m.cases) == count, (len(m.cases), count)
    with open(out.rstrip('/') + '.json', 'w') as f:
        json.dump({'seed': seed, 'pydicom': pydicom.__version__, 'cases': m.cases}, f, indent=1)
    print(json.dumps({'seed': seed, 'cases': len(m.cases), 'kinds': {k: sum(1 for c in m.cases if c['kind'] == k) for k in sorted({c['kind'] for c in m.cases})}}))


if __name__ == '__main__':
    main()
