/** The ROI tests' oracle: scipy.ndimage, numpy and nibabel through Debian's python (scipy-reference.py). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const PYTHON = '/usr/bin/python3'
const SCRIPT = join(import.meta.dir, 'scipy-reference.py')

/** Whether Debian's python with scipy and nibabel is there (outside CI a test may skip without it). */
export const hasScipy = (() => {
  try {
    return Bun.spawnSync([PYTHON, '-c', 'import scipy.ndimage, numpy, nibabel']).exitCode === 0
  } catch {
    return false
  }
})()

/** Without the oracle: fail under CI, skip (with the reason printed) elsewhere. */
export const skipWithoutScipy = (() => {
  if (hasScipy) return false
  if (process.env.CI === 'true') throw new Error(`${PYTHON} with scipy, numpy and nibabel is needed (apt-get install python3-scipy python3-nibabel)`)
  console.warn(`skipping the ROI engine's reference tests: ${PYTHON} lacks scipy/numpy/nibabel (apt-get install python3-scipy python3-nibabel)`)
  return true
})()

export type Job = { id: string; op: string } & Record<string, unknown>

/** A batch of jobs: inputs written as raw files (voxel order, i fastest), one python run, outputs read back. */
export class Oracle {
  readonly dir = mkdtempSync(join(tmpdir(), 'nora-roi-oracle-'))
  private jobs: Job[] = []
  private n = 0

  /** Writes an array as a raw input file; returns its path. */
  input(array: ArrayBufferView): string {
    const path = join(this.dir, `in${this.n++}.raw`)
    writeFileSync(path, new Uint8Array(array.buffer, array.byteOffset, array.byteLength))
    return path
  }

  add(job: Job): void {
    this.jobs.push(job)
  }

  /** Runs every job added; returns the scalars by job id. */
  run(): Record<string, Record<string, unknown>> {
    const file = join(this.dir, 'jobs.json')
    writeFileSync(file, JSON.stringify(this.jobs))
    const p = Bun.spawnSync([PYTHON, SCRIPT, file], { stdout: 'pipe', stderr: 'pipe' })
    if (p.exitCode !== 0) throw new Error(`scipy-reference.py failed (exit ${p.exitCode}): ${p.stderr.toString()}`)
    return JSON.parse(p.stdout.toString())
  }

  uint8(id: string, suffix = ''): Uint8Array {
    return new Uint8Array(readFileSync(join(this.dir, `${id}.out${suffix}`)))
  }

  int32(id: string): Int32Array {
    const b = readFileSync(join(this.dir, `${id}.out`))
    return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
  }

  float64(id: string): Float64Array {
    const b = readFileSync(join(this.dir, `${id}.out`))
    return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
  }
}

/** A deterministic generator (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An affine (16, row-major): rotation by angles (radians) about x, y, z, then voxel sizes, then a translation. */
export function obliqueAffine(sizes: [number, number, number], angles: [number, number, number], shift: [number, number, number]): number[] {
  const [a, b, c] = angles
  const rx = [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)]
  const ry = [Math.cos(b), 0, Math.sin(b), 0, 1, 0, -Math.sin(b), 0, Math.cos(b)]
  const rz = [Math.cos(c), -Math.sin(c), 0, Math.sin(c), Math.cos(c), 0, 0, 0, 1]
  const mul = (p: number[], q: number[]) => [0, 1, 2].flatMap((r) => [0, 1, 2].map((k) => p[r * 3]! * q[k]! + p[r * 3 + 1]! * q[3 + k]! + p[r * 3 + 2]! * q[6 + k]!))
  const r = mul(rz, mul(ry, rx))
  const out: number[] = []
  for (let row = 0; row < 3; row++) out.push(r[row * 3]! * sizes[0], r[row * 3 + 1]! * sizes[1], r[row * 3 + 2]! * sizes[2], shift[row]!)
  return [...out, 0, 0, 0, 1]
}

/** A mask of random balls (some touching the grid's faces) and random single voxels (salt). */
export function blobMask(dims: [number, number, number], seed: number, balls = 6, salt = 0.01): Uint8Array<ArrayBuffer> {
  const rnd = random(seed)
  const [nx, ny, nz] = dims
  const m = new Uint8Array(nx * ny * nz)
  const centres = Array.from({ length: balls }, () => [rnd() * nx, rnd() * ny, rnd() * nz, 1 + rnd() * Math.min(nx, ny, Math.max(nz, 3)) * 0.3])
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * k)
        if (rnd() < salt) m[v] = 1
        for (const [x, y, z, r] of centres) if ((i - x!) ** 2 + (j - y!) ** 2 + (k - z!) ** 2 <= r! * r!) m[v] = 1
      }
  return m
}
