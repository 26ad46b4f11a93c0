import { afterAll, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readZip } from '../../../src/web/viewer/dicom'

/** Zips written by Debian's Info-ZIP `zip` (deflated, and stored with -0), read by the viewer's zip reader. */
const dir = mkdtempSync(join(tmpdir(), 'nora-zip-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const files: Record<string, Uint8Array> = {
  'a/IM1.dcm': Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256),
  'a/b/IM2': new TextEncoder().encode('x'.repeat(5000)),
  'empty.dcm': new Uint8Array(0),
}
for (const [n, d] of Object.entries(files)) {
  mkdirSync(join(dir, 'src', n, '..'), { recursive: true })
  writeFileSync(join(dir, 'src', n), d)
}

for (const level of ['-6', '-0']) {
  test(`zip ${level}`, async () => {
    const out = join(dir, `t${level}.zip`)
    const r = Bun.spawnSync(['zip', '-r', level, '-q', out, '.'], { cwd: join(dir, 'src') })
    expect(r.exitCode).toBe(0)
    const members = await readZip(Bun.file(out))
    expect(members.map((m) => m.name).sort()).toEqual(Object.keys(files).sort()) // directory entries skipped
    for (const m of members) expect(Buffer.from(m.data as Uint8Array).equals(Buffer.from(files[m.name]!))).toBe(true)
  })
}

test('not a zip', async () => {
  await expect(readZip(new Blob([new Uint8Array(100)]))).rejects.toThrow(/not a zip/)
})
