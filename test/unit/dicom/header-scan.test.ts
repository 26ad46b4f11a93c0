import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readDicomHeaderFromFile, readWithDcmjs } from '../../../src/dicom/dicom-header'
import { scanDicomHeader } from '../../../src/dicom/header-scan'
import { PYDICOM } from '../../helpers/dicom-fixtures'

/** pydicom's test files: every transfer syntax, character sets, truncated and odd files. */
function pydicomFiles(): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else out.push(p)
    }
  }
  walk(PYDICOM)
  return out.sort()
}

const dcmjsOf = (bytes: Uint8Array, file: string) => {
  try {
    return readWithDcmjs(bytes, file)
  } catch (e) {
    return `refused: ${(e as Error).message}`
  }
}

// dcmjs is the reference: the scanner must read each file as dcmjs does, or leave it to dcmjs.
describe('the header scanner against dcmjs', () => {
  test("pydicom's test files: the same fields as dcmjs, or left to dcmjs; most read by the scanner", () => {
    let scanned = 0
    let dicom = 0
    const differ: string[] = []
    for (const file of pydicomFiles()) {
      const bytes = new Uint8Array(readFileSync(file))
      if (bytes.length < 132 || String.fromCharCode(...bytes.subarray(128, 132)) !== 'DICM') continue
      dicom++
      const fast = scanDicomHeader(bytes, true)
      if (fast === undefined || fast === 'more') continue
      scanned++
      const ref = dcmjsOf(bytes, file)
      if (JSON.stringify(fast) !== JSON.stringify(ref)) differ.push(`${file}: ${JSON.stringify(fast)} vs ${JSON.stringify(ref)}`)
    }
    expect(differ).toEqual([])
    expect(dicom).toBeGreaterThan(100)
    expect(scanned / dicom).toBeGreaterThan(0.8)
  })

  test('a header cut short is never read by the scanner (dcmjs refuses it)', () => {
    const bytes = new Uint8Array(readFileSync(join(PYDICOM, 'CT_small.dcm')))
    for (const cut of [140, 300, 600, 900]) {
      const part = bytes.subarray(0, cut)
      expect(scanDicomHeader(part, false)).toBe('more')
      expect(scanDicomHeader(part, true)).toBeUndefined()
    }
  })

  test('from a file: a header longer than the first read is read whole, as dcmjs reads it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nora-scan-'))
    try {
      // CT_small with a 100 KB private element (explicit VR LE) put before its group 0010: beyond the first 16 KB.
      const bytes = new Uint8Array(readFileSync(join(PYDICOM, 'CT_small.dcm')))
      const at = findTag(bytes, 0x0010, 0x0010)
      const big = new Uint8Array(12 + 100_000)
      const v = new DataView(big.buffer)
      v.setUint16(0, 0x0009, true)
      v.setUint16(2, 0x1010, true)
      big.set([0x4f, 0x42, 0, 0], 4) // OB
      v.setUint32(8, 100_000, true)
      const file = join(dir, 'big-header.dcm')
      writeFileSync(file, Buffer.concat([bytes.subarray(0, at), big, bytes.subarray(at)]))
      const whole = new Uint8Array(readFileSync(file))
      expect(scanDicomHeader(whole.subarray(0, 16 << 10), false)).toBe('more')
      const ref = readWithDcmjs(whole, file)
      expect(ref.patientName).not.toBe('')
      expect(readDicomHeaderFromFile(file, file)).toEqual(ref)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/** Offset of an element's tag in explicit VR LE data (a plain search for its 4 bytes after the preamble). */
function findTag(b: Uint8Array, group: number, element: number): number {
  for (let i = 132; i < b.length - 4; i++) if (b[i] === (group & 0xff) && b[i + 1] === group >> 8 && b[i + 2] === (element & 0xff) && b[i + 3] === element >> 8) return i
  throw new Error('tag not found')
}
