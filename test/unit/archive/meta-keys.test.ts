import { describe, expect, test } from 'bun:test'
import { cellText, columnOf, leafCells, parseKeyPatterns, selectCells, type MetaFile } from '../../../src/archive/meta-keys'

const files: MetaFile[] = [
  { name: 'META/radio1', json: { mask: { volume: 12.5, diameter: 3, labels: ['a', 'b'] }, note: 'x' } },
  { name: 'META/radio.v2', json: { mask: { volume: 0.5 } } },
  { name: 'nodeinfo', json: { age: { years: 42, months: 3 }, empty: {} } },
  { name: 'list', json: [1, 2] },
]
const cols = (keys: string) => parseKeyPatterns(keys).flatMap((k) => selectCells(files, k).map((c) => `${columnOf(c)}=${cellText(c.value)}`))

describe('--exportmeta key sequences', () => {
  test('the first part names the file (path or name, * anywhere in it), the rest walk into it', () => {
    expect(cols('*.mask.volume')).toEqual(['META/radio1.mask.volume=12.5', 'META/radio.v2.mask.volume=0.5'])
    expect(cols('radio1.mask.diameter')).toEqual(['META/radio1.mask.diameter=3'])
    expect(cols('META/radio1.note')).toEqual(['META/radio1.note=x'])
    expect(cols('META/*.mask.volume')).toEqual(['META/radio1.mask.volume=12.5', 'META/radio.v2.mask.volume=0.5'])
    expect(cols('radio.v2.mask.volume')).toEqual(['META/radio.v2.mask.volume=0.5']) // a file name with a dot
    expect(cols('nodeinfo.age.*')).toEqual(['nodeinfo.age.years=42', 'nodeinfo.age.months=3'])
    expect(cols('radio1.mask.labels.1,list.0')).toEqual(['META/radio1.mask.labels.1=b', 'list.0=1'])
    expect(cols('radio1.mask')).toEqual(['META/radio1.mask={"volume":12.5,"diameter":3,"labels":["a","b"]}'])
    expect(cols('radio1.nothing,nosuch.mask.volume,radio1.note.deeper')).toEqual([])
  })
  test('without keys: every leaf; arrays and empty objects are leaves', () => {
    expect(files.flatMap(leafCells).map((c) => `${columnOf(c)}=${cellText(c.value)}`)).toEqual([
      'META/radio1.mask.volume=12.5',
      'META/radio1.mask.diameter=3',
      'META/radio1.mask.labels=["a","b"]',
      'META/radio1.note=x',
      'META/radio.v2.mask.volume=0.5',
      'nodeinfo.age.years=42',
      'nodeinfo.age.months=3',
      'nodeinfo.empty={}',
      'list=[1,2]',
    ])
    expect([null, true, 'a,b', 1e-5].map(cellText)).toEqual(['', 'true', 'a,b', '0.00001'])
  })
  test('a key needs a file part and a key; empty lists are refused', () => {
    expect(() => parseKeyPatterns('volume')).toThrow('key "volume" is not FILE.KEY')
    expect(() => parseKeyPatterns('a..b')).toThrow('is not FILE.KEY')
    expect(() => parseKeyPatterns(' , ')).toThrow('--keys is empty')
    expect(parseKeyPatterns(' a.b , *.c.d ')).toEqual([['a', 'b'], ['*', 'c', 'd']])
  })
})
