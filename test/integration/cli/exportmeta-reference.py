#!/usr/bin/python3
"""The CSV `nora -p P --exportmeta PATTERN... [--keys K]` should print, computed from the files on disk with the
json and csv modules (README, "Exporting meta data"), independently of nora's code.

usage: exportmeta-reference.py PROJECT_DIR DICOM_DIR KEYS|- PATTERN...
Patient and study info comes from the DICOM files in DICOM_DIR (pydicom), matched by PatientID = the subject folder.
"""
import csv, json, os, re, sys

import pydicom

project_dir, dicom_dir, keys_arg, *pattern_args = sys.argv[1:]
words = [w.strip('\'"‘’“”') for a in pattern_args for w in a.split()]
words = [w for w in words if w]


def select_re(pattern):
    # the select language: * any run of characters (also /), _ exactly one character
    return re.compile('^' + ''.join('.*' if c == '*' else '.' if c == '_' else re.escape(c) for c in pattern) + '$', re.S)


def glob_re(part):
    return re.compile('^' + '.*'.join(re.escape(s) for s in part.split('*')) + '$', re.S)


patterns = [select_re(w) for w in words]
info_by_pid = {}
for name in os.listdir(dicom_dir):
    ds = pydicom.dcmread(os.path.join(dicom_dir, name))
    info_by_pid[str(ds.PatientID)] = [str(ds.get(k, '') or '') for k in
                                      ('PatientName', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyDescription', 'Modality', 'StudyInstanceUID')]


def leaves(value, at, out):
    if isinstance(value, dict) and value:
        for k, v in value.items():
            leaves(v, at + [k], out)
    else:
        out.append((at, value))


def children(value):
    if isinstance(value, list):
        return [(str(i), v) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return list(value.items())
    return []


def walk(value, parts, at, out):
    if not parts:
        out.append((at, value))
        return
    rx = glob_re(parts[0])
    for k, v in children(value):
        if rx.match(k):
            walk(v, parts[1:], at + [k], out)


def text(value):
    if value is None:
        return ''
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(',', ':'), ensure_ascii=False)


keys = None if keys_arg == '-' else [k.strip().split('.') for k in keys_arg.split(',') if k.strip()]
groups = [dict() for _ in (keys or [None])]  # file -> ordered columns
rows = []
for pid in sorted(os.listdir(project_dir)):
    for sid in sorted(os.listdir(os.path.join(project_dir, pid))):
        study = os.path.join(project_dir, pid, sid)
        files = []
        for dirpath, _, names in os.walk(study):
            for n in names:
                rel = os.path.relpath(os.path.join(dirpath, n), study)
                if n.lower().endswith('.json') and any(p.match(rel) for p in patterns):
                    files.append(rel)
        if not files:
            continue
        metas = []
        for rel in sorted(files):
            with open(os.path.join(study, rel), encoding='utf-8') as f:
                metas.append((rel[:-5], json.load(f)))
        row = {}

        def take(g, cells):
            for fname, path, value in cells:
                col = '.'.join([fname] + path)
                groups[g].setdefault(fname, [])
                if col not in groups[g][fname]:
                    groups[g][fname].append(col)
                row.setdefault(col, text(value))

        if keys is None:
            cells = []
            for fname, doc in metas:
                out = []
                leaves(doc, [], out)
                cells += [(fname, p, v) for p, v in out]
            take(0, cells)
        else:
            for g, key in enumerate(keys):
                cells = []
                for fname, doc in metas:
                    for k in range(1, len(key)):
                        fp = '.'.join(key[:k])
                        rx = glob_re(fp)
                        if rx.match(fname) or ('/' not in fp and rx.match(fname.rsplit('/', 1)[-1])):
                            out = []
                            walk(doc, key[k:], [], out)
                            cells += [(fname, p, v) for p, v in out]
                            break
                take(g, cells)
        rows.append(([pid, sid] + info_by_pid.get(pid, [''] * 7), row))

info_cols = ['patients_id', 'studies_id', 'PatientName', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyDescription', 'Modality', 'StudyInstanceUID']
columns = []
for g in groups:
    for fname in sorted(g):
        for c in g[fname]:
            if c not in columns and c not in info_cols:
                columns.append(c)
w = csv.writer(sys.stdout, lineterminator='\n')
w.writerow(info_cols + columns)
for info, row in rows:
    w.writerow(info + [row.get(c, '') for c in columns])
