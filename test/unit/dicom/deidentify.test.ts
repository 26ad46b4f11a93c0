import { describe, expect, test } from 'bun:test'
import { CONFIDENTIALITY_PROFILE, profileAttribute } from '../../../src/dicom/confidentiality-profile'
import { actionFor, ageAt, deidentifyDataset, derivedUid } from '../../../src/dicom/deidentify'

const key = Buffer.alloc(32, 7)
const mapUid = (u: string) => derivedUid(key, u)

describe('de-identification by the Basic Profile', () => {
  test('the table has every row of Table E.1-1 but the private one, and patterned rows match', () => {
    expect(CONFIDENTIALITY_PROFILE.length).toBe(620)
    expect(profileAttribute('60023000')?.name).toBe('Overlay Data')
    expect(profileAttribute('50101234')?.name).toBe('Curve Data')
    expect(profileAttribute('00080060')).toBeUndefined() // Modality: not in the profile
  })

  test('derived UIDs are 2.25. UUIDs, stable for one key, different under another', () => {
    const a = derivedUid(key, '1.2.3.4')
    expect(a).toMatch(/^2\.25\.\d{1,39}$/)
    expect(a.length).toBeLessThanOrEqual(64)
    expect(derivedUid(key, '1.2.3.4')).toBe(a)
    expect(derivedUid(key, '1.2.3.5')).not.toBe(a)
    expect(derivedUid(Buffer.alloc(32, 8), '1.2.3.4')).not.toBe(a)
    const hex = BigInt(a.slice(5)).toString(16).padStart(32, '0')
    expect(hex[12]).toBe('8') // UUID version 8
  })

  test('combined actions: Z where it is allowed, X for X/D, U* keeps the sequence; options keep dates and characteristics', () => {
    const act = (tag: string, dates: 'keep' | 'remove' = 'remove') => actionFor(profileAttribute(tag)!, dates)
    expect(act('00080080')).toBe('Z') // Institution Name X/Z/D
    expect(act('00080021')).toBe('X') // Series Date X/D, dates removed
    expect(act('00080021', 'keep')).toBe('K')
    expect(act('00081140')).toBe('U*') // Referenced Image Sequence
    expect(act('00101030')).toBe('K') // Patient's Weight: Retain Patient Characteristics
    expect(act('00102110')).toBe('X') // Allergies: that option would clean it
    expect(act('0008103E')).toBe('K') // Series Description: kept descriptor
  })

  test('age from birth date at the study date', () => {
    expect(ageAt('19600412', '20240411')).toBe('063Y')
    expect(ageAt('19600412', '20240412')).toBe('064Y')
    expect(ageAt('', '20240412')).toBe('')
  })

  test('a dataset: values, nested items, dummies, meta', () => {
    const ds: Record<string, unknown> = {
      '00080018': { vr: 'UI', Value: ['1.2.3.1'] },
      '00080050': { vr: 'SH', Value: ['ACC123'] },
      '00081040': { vr: 'LO', Value: ['Radiology'] },
      '00100030': { vr: 'DA', Value: ['19600412'] },
      '00080020': { vr: 'DA', Value: ['20240411'] },
      '00091001': { vr: 'LO', Value: ['private'] },
      '00082218': { vr: 'SQ', Value: [{ '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] }, '00080100': { vr: 'SH', Value: ['T-1'] } }] },
      '0040A730': { vr: 'SQ', Value: [{ '0040A160': { vr: 'UT', Value: ['free text'] }, '0040A040': { vr: 'CS', Value: ['TEXT'] }, '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.4'] } }] },
    }
    const meta: Record<string, unknown> = { '00020003': { vr: 'UI', Value: ['1.2.3.1'] }, '00020016': { vr: 'AE', Value: ['SCANNER'] } }
    deidentifyDataset(ds, meta, { pseudonym: 'PX', dates: 'keep', mapUid, removePrivate: false })
    const v = (d: Record<string, unknown>, t: string) => (d[t] as { Value: unknown[] } | undefined)?.Value
    expect(v(ds, '00080018')).toEqual([mapUid('1.2.3.1')])
    expect(v(meta, '00020003')).toEqual([mapUid('1.2.3.1')])
    expect(meta['00020016']).toBeUndefined()
    expect(v(ds, '00080050')).toEqual([]) // Accession Number: Z
    expect(ds['00081040']).toBeUndefined() // Institutional Department Name: X
    expect(v(ds, '00100030')).toEqual([]) // birth date: Z
    expect(v(ds, '00101010')).toEqual(['063Y']) // age filled before
    expect(v(ds, '00080020')).toEqual(['20240411']) // dates kept
    expect(v(ds, '00091001')).toEqual(['private']) // kept for dcm2niix; the importer removes it before keeping
    const item = v(ds, '00082218')![0] as Record<string, unknown>
    expect(v(item, '00100010')).toEqual([]) // nested Patient's Name: Z
    expect(v(item, '00080100')).toEqual(['T-1'])
    const content = v(ds, '0040A730')![0] as Record<string, unknown> // Content Sequence: D
    expect(v(content, '0040A160')).toEqual(['ANONYMIZED']) // free text: a dummy
    expect(v(content, '0040A040')).toEqual(['ANONYMIZED'])
    expect(v(content, '00081150')).toEqual(['1.2.840.10008.5.1.4.1.1.4'])
    expect(v(ds, '00100010')).toEqual([{ Alphabetic: 'PX' }])
    expect(v(ds, '00120062')).toEqual(['YES'])
    expect(v(ds, '00280303')).toEqual(['UNMODIFIED'])
  })
})
