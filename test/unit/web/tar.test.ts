import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzip, readTar } from '../../../src/web/viewer/tar'

/** Archives written by Debian's GNU tar (the reference), in its three formats, read back by our reader. */
const dir = mkdtempSync(join(tmpdir(), 'nora-tar-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const LONG = `${'deep/'.repeat(12)}${'x'.repeat(60)}.dcm` // 120 chars: needs a GNU long name, pax path or ustar prefix
const files: Record<string, Uint8Array> = {
  'a.dcm': new Uint8Array(0),
  'b.dcm': Uint8Array.from({ length: 511 }, (_, i) => i % 251),
  'sub/c.dcm': Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256),
  'sub/d.dcm': Uint8Array.from({ length: 100_001 }, (_, i) => (i * 13) % 256),
  [LONG]: new TextEncoder().encode('long name member'),
}
const src = join(dir, 'src')
for (const [name, data] of Object.entries(files)) {
  mkdirSync(join(src, name, '..'), { recursive: true })
  writeFileSync(join(src, name), data)
}
symlinkSync('a.dcm', join(src, 'link.dcm'))

function tarGz(format: string): string {
  const out = join(dir, `${format}.tar.gz`)
  const r = Bun.spawnSync(['tar', `--format=${format}`, '-czf', out, '-C', src, '.'])
  if (r.exitCode !== 0) throw new Error(`tar failed: ${r.stderr.toString()}`)
  return out
}

describe('readTar on tar.gz from GNU tar', () => {
  for (const format of ['gnu', 'pax', 'ustar']) {
    test(format, async () => {
      const tar = await gunzip(Bun.file(tarGz(format)).stream())
      const members = readTar(tar)
      const got = Object.fromEntries(members.map((m) => [m.name.replace(/^\.\//, ''), m.data]))
      // Regular files only: directories and the symlink are skipped.
      expect(Object.keys(got).sort()).toEqual(Object.keys(files).sort())
      for (const [name, data] of Object.entries(files)) expect(Buffer.from(got[name]!).equals(Buffer.from(data))).toBe(true)
    })
  }

  test('a damaged header or a truncated member is an error, not garbage', async () => {
    const tar = await gunzip(Bun.file(tarGz('ustar')).stream())
    const bad = tar.slice()
    bad[0] = bad[0]! ^ 0xff
    expect(() => readTar(bad)).toThrow(/checksum/)
    const members = readTar(tar)
    const big = members.find((m) => m.name.endsWith('d.dcm'))!
    const cut = tar.slice(0, big.data.byteOffset - tar.byteOffset + 1000)
    expect(() => readTar(cut)).toThrow(/truncated/)
  })
})
