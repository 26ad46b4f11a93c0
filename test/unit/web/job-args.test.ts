import { expect, test } from 'bun:test'
import { compareGenericNames, scriptReferences, splitOutTags, typeOfName } from '../../../src/jobs/job-args'
import { scriptReferences as serverReferences } from '../../../src/jobs/job-spec'

test('the server and the Batchtool read a script with the same parser', () => {
  expect(serverReferences).toBe(scriptReferences)
})

test('references: $x1 and ${x1}, first appearance, escaped and longer names do not count', () => {
  expect(scriptReferences('cp $f2 ${o1}; echo $f2 \\$s1 $n10 $p1_x $s3')).toEqual(['f2', 'o1', 's3'])
  expect(scriptReferences('no arguments $HOME ${x1}')).toEqual([])
})

test('generic names sort f, o, p, n, s then by number', () => {
  expect(['s1', 'n2', 'f3', 'o1', 'f1', 'p9'].sort(compareGenericNames)).toEqual(['f1', 'f3', 'o1', 'p9', 'n2', 's1'])
})

test('type by name', () => {
  expect([typeOfName('f1'), typeOfName('o2'), typeOfName('p3'), typeOfName('n4'), typeOfName('s5')]).toEqual(['FILE', 'OUT', 'PATHOUT', 'NUMERIC', 'STRING'])
  expect(typeOfName('f0')).toBeUndefined()
  expect(typeOfName('foo')).toBeUndefined()
})

test('OUT tags split as written', () => {
  expect(splitOutTags('out/x.nii TAG(done, qc) ')).toEqual(['out/x.nii', 'done, qc'])
  expect(splitOutTags('out/x.nii')).toBeNull()
})
