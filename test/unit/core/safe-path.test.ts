import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { removeInside, safeJoin, safeRelativeSegments, safeSegment } from '../../../src/core/safe-path'
import { uidProblem } from '../../../src/dicom/uid'

const root = mkdtempSync(join(tmpdir(), 'nora-safe-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('safeSegment', () => {
  test.each(['', '.', '..', 'a/b', 'a\\b', 'a\0b', 'a\nb', 'x'.repeat(256)])('refuses %p', (v) => {
    expect(() => safeSegment(v, 'StudyInstanceUID')).toThrow(/StudyInstanceUID/)
  })
  test.each(['1.2.3', '...', '.hidden', 'T1 MPRAGE', 'ü-ß', 'x'.repeat(255)])('accepts %p', (v) => {
    expect(safeSegment(v)).toBe(v)
  })
})

describe('safeJoin', () => {
  test('joins safe segments inside the root', () => {
    expect(safeJoin(root, 'a', 'b')).toBe(join(root, 'a', 'b'))
  })
  test('refuses segments that would leave the root', () => {
    expect(() => safeJoin(root, '..')).toThrow()
    expect(() => safeJoin(root, '.')).toThrow()
    expect(() => safeJoin(root, 'a/../../x')).toThrow()
  })
  test('refuses a path that leaves through a symlink', () => {
    const out = mkdtempSync(join(tmpdir(), 'nora-out-'))
    symlinkSync(out, join(root, 'link'))
    expect(() => safeJoin(root, 'link', 'x')).toThrow(/not inside/)
    rmSync(out, { recursive: true })
  })
})

describe('safeRelativeSegments', () => {
  test('splits a member name and drops empty segments', () => {
    expect(safeRelativeSegments('a//b/c.dcm/')).toEqual(['a', 'b', 'c.dcm'])
  })
  test.each(['../x', 'a/../../x', '/etc/passwd', 'C:/x', 'a/./b', 'a\0/b', ''])('refuses %p', (v) => {
    expect(() => safeRelativeSegments(v)).toThrow()
  })
})

describe('removeInside', () => {
  test('deletes a folder strictly inside the root', () => {
    const d = join(root, 'spool', 'x')
    mkdirSync(d, { recursive: true })
    writeFileSync(join(d, 'f'), 'x')
    removeInside(join(root, 'spool'), d)
    expect(existsSync(d)).toBe(false)
  })
  test('refuses the root itself and anything above it, and deletes nothing', () => {
    mkdirSync(join(root, 'spool'), { recursive: true })
    writeFileSync(join(root, 'keep'), 'x')
    expect(() => removeInside(join(root, 'spool'), join(root, 'spool'))).toThrow(/refusing to delete/)
    expect(() => removeInside(join(root, 'spool'), join(root, 'spool', '..'))).toThrow(/refusing to delete/)
    expect(() => removeInside(join(root, 'spool'), root)).toThrow(/refusing to delete/)
    expect(existsSync(join(root, 'keep'))).toBe(true)
  })
})

describe('DICOM UID grammar', () => {
  test.each(['1.2.840.10008.1.2', '0', '1.2.03'])('accepts %p', (u) => expect(uidProblem(u)).toBeUndefined())
  test.each(['', '.', '..', '1..2', '.1', '1.', '1.2.a', '1/2', '1.2 ', '1'.repeat(65)])('refuses %p', (u) => expect(uidProblem(u)).toBeDefined())
})
