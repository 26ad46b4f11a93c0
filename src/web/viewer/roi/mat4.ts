/** 4×4 matrix helpers for what NiiVue hands its shaders (column-major Float32Array, as gl-matrix's mat4). */

/** A 4×4 inverse, column-major, as gl-matrix's mat4.invert (NiiVue's), so the shader gets the same float32 values. */
export function invert4(a: Float32Array): Float32Array | undefined {
  const [a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33] = a as unknown as number[]
  const b00 = a00! * a11! - a01! * a10!
  const b01 = a00! * a12! - a02! * a10!
  const b02 = a00! * a13! - a03! * a10!
  const b03 = a01! * a12! - a02! * a11!
  const b04 = a01! * a13! - a03! * a11!
  const b05 = a02! * a13! - a03! * a12!
  const b06 = a20! * a31! - a21! * a30!
  const b07 = a20! * a32! - a22! * a30!
  const b08 = a20! * a33! - a23! * a30!
  const b09 = a21! * a32! - a22! * a31!
  const b10 = a21! * a33! - a23! * a31!
  const b11 = a22! * a33! - a23! * a32!
  let det = b00 * b11 - b01 * b10 + b02 * b09 + b03 * b08 - b04 * b07 + b05 * b06
  if (!det) return undefined
  det = 1 / det
  return Float32Array.of(
    (a11! * b11 - a12! * b10 + a13! * b09) * det,
    (a02! * b10 - a01! * b11 - a03! * b09) * det,
    (a31! * b05 - a32! * b04 + a33! * b03) * det,
    (a22! * b04 - a21! * b05 - a23! * b03) * det,
    (a12! * b08 - a10! * b11 - a13! * b07) * det,
    (a00! * b11 - a02! * b08 + a03! * b07) * det,
    (a32! * b02 - a30! * b05 - a33! * b01) * det,
    (a20! * b05 - a22! * b02 + a23! * b01) * det,
    (a10! * b10 - a11! * b08 + a13! * b06) * det,
    (a01! * b08 - a00! * b10 - a03! * b06) * det,
    (a30! * b04 - a31! * b02 + a33! * b00) * det,
    (a21! * b02 - a20! * b04 - a23! * b00) * det,
    (a11! * b07 - a10! * b09 - a12! * b06) * det,
    (a00! * b09 - a01! * b07 + a02! * b06) * det,
    (a31! * b01 - a30! * b03 - a32! * b00) * det,
    (a20! * b03 - a21! * b01 + a22! * b00) * det,
  )
}
