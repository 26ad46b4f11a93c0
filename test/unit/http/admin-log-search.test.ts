import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { searchLog } from '../../../src/http/pages/admin/log-search'

describe('the admin page\'s server log search', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nora-log-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('reads at most maxBytes from the end, drops the cut first line, filters case-insensitively, keeps the last maxLines', () => {
    const file = join(dir, 'nora.log')
    writeFileSync(file, Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(3, '0')} ${i % 3 ? 'http' : 'DICOM'}`).join('\n') + '\n')
    const all = searchLog(file, '', { maxBytes: 1 << 20, maxLines: 1000 })
    expect(all.lines).toHaveLength(100)
    // Lines are 14 (http) or 15 (DICOM) bytes with their newline: the last 100 bytes hold 094-099 whole and 093 cut.
    const tail = searchLog(file, '', { maxBytes: 100, maxLines: 1000 })
    expect(tail.lines[0]).toBe('line 094 http')
    expect(tail.lines.at(-1)).toBe('line 099 DICOM')
    expect(tail.info).toBe('6 line(s) in the last 100 bytes of 1434 bytes')
    const hits = searchLog(file, 'dicom', { maxBytes: 1 << 20, maxLines: 5 })
    expect(hits.lines).toEqual(['line 087 DICOM', 'line 090 DICOM', 'line 093 DICOM', 'line 096 DICOM', 'line 099 DICOM'])
    expect(hits.info).toBe('the last 5 of 34 line(s) containing "dicom" in 1434 bytes')
  })

  test('control characters are dropped (a terminal escape in a DICOM name); no log yet is said so', () => {
    const file = join(dir, 'esc.log')
    writeFileSync(file, 'study \x1b[31mRED\x1b[0m\tok\n')
    expect(searchLog(file, '').lines).toEqual(['study [31mRED[0m\tok'])
    expect(searchLog(join(dir, 'none.log'), '').info).toContain('no log yet')
  })
})
