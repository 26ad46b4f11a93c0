import { expect, test } from 'bun:test'
import { droppedFiles } from '../../../src/web/viewer/dicom'

/**
 * Folder traversal of a drop (webkitGetAsEntry): a page cannot make directory entries itself, so these are
 * stand-ins shaped like Chromium's FileSystem entries. readEntries returns batches (Chromium: 100 at a time)
 * until an empty one; all must be read.
 */
const file = (name: string) => ({ isFile: true, isDirectory: false, name, file: (ok: (f: File) => void) => ok(new File([name], name)) })
function dir(name: string, children: unknown[], batch = 2) {
  return {
    isFile: false,
    isDirectory: true,
    name,
    createReader() {
      let at = 0
      return { readEntries: (ok: (e: unknown[]) => void) => setTimeout(() => ok(children.slice(at, (at += batch)))) }
    },
  }
}
const item = (entry: unknown, f: File | null = null) => ({ kind: 'file', webkitGetAsEntry: () => entry, getAsFile: () => f })

test('folders are read recursively, in every batch; plain files pass through', async () => {
  const tree = dir('study', [file('IM1'), file('IM2'), file('IM3'), dir('s2', [file('IM4'), dir('empty', []), file('IM5')]), file('IM6')])
  const loose = new File(['x'], 'loose.dcm')
  const dt = { items: [item(tree), item(null, loose), { kind: 'string', webkitGetAsEntry: () => null, getAsFile: () => null }], files: [] } as unknown as DataTransfer
  const files = await droppedFiles(dt)
  expect(files.map((f) => f.name)).toEqual(['IM1', 'IM2', 'IM3', 'IM4', 'IM5', 'IM6', 'loose.dcm'])
})

test('without items (older DataTransfer): the files list', async () => {
  const f = new File(['x'], 'a.dcm')
  expect(await droppedFiles({ items: [], files: [f] } as unknown as DataTransfer)).toEqual([f])
})
