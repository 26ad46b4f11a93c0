import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files'
export const DICOMDIRTESTS = join(PYDICOM, 'dicomdirtests')

/** Runs Debian's python3 (which has pydicom, nibabel, numpy); fails with a clear message when it cannot. */
export function python(code: string, args: string[] = []): string {
  const r = Bun.spawnSync(['/usr/bin/python3', '-c', code, ...args], { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`/usr/bin/python3 failed (test/run.sh installs python3-nibabel, python3-pydicom): ${r.stderr.toString().slice(-800)}`)
  return r.stdout.toString()
}

/** Runs a python script (numpy, nibabel, scipy) that prints JSON; its value. The independent oracle of the image tests. */
export function pythonJson(script: string, ...args: string[]): any {
  return JSON.parse(python(script, args))
}

/** A zip (by python's zipfile, not by us) of a folder, inside a new temp dir. */
export function zipOf(folder: string, name = 'data.zip'): string {
  const dir = mkdtempSync(join(tmpdir(), 'nora-zip-'))
  const src = join(dir, 'src')
  cpSync(folder, src, { recursive: true })
  const out = join(dir, name)
  python('import shutil,sys; shutil.make_archive(sys.argv[1][:-4], "zip", sys.argv[2])', [out, src])
  return out
}

/** Shape, affine and a digest of the voxel values of every NIfTI under `dir`, read by nibabel. */
export function niftiSummaries(dir: string): { file: string; shape: number[]; affine: number[][]; sha: string }[] {
  const code = `
import sys, json, hashlib, pathlib, numpy as np, nibabel as nib
out = []
for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.nii*')):
    img = nib.load(str(p))
    data = np.asanyarray(img.dataobj)
    out.append({'file': str(p), 'shape': list(img.shape), 'affine': img.affine.tolist(), 'sha': hashlib.sha1(np.ascontiguousarray(data).tobytes()).hexdigest()})
print(json.dumps(out))`
  return JSON.parse(python(code, [dir]))
}
