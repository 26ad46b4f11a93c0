/** Small 4x4 matrix helpers shared by the readers (row-major number[][]). */

export type Matrix4 = number[][]

export function identity4(): Matrix4 {
  return [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => (r === c ? 1 : 0)))
}

/** A 4x4 affine from a 3x3 linear part and a translation. */
export function fromMatVec(m: number[][], v: number[]): Matrix4 {
  return [0, 1, 2]
    .map((r) => [m[r]![0]!, m[r]![1]!, m[r]![2]!, v[r]!])
    .concat([[0, 0, 0, 1]])
}

export function allFinite(m: number[][]): boolean {
  return m.every((row) => row.every(Number.isFinite))
}
