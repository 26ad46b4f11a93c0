import { describe, expect, test } from 'bun:test'
import { caseFragment, parseUrlCall } from '../../../src/http/pages/url-call/url-call'

describe('URL call selmode', () => {
  test('study (default) and patient; subject and plurals in any case mean the same', () => {
    expect(parseUrlCall('{"pid":"P1","sid":"S1","selmode":"study"}').selmode).toBe('study')
    expect(parseUrlCall('{"pid":"P1"}').selmode).toBeUndefined()
    for (const s of ['patient', 'Patient', 'subject', 'SUBJECTS', ' patients ']) expect(parseUrlCall(JSON.stringify({ pid: 'P1', selmode: s })).selmode).toBe('patient')
    expect(caseFragment(parseUrlCall('{"pid":"P1","selmode":"Subject","user":"u","token":"t"}'))).toBe(`#case=${encodeURIComponent('{"pid":"P1","selmode":"patient"}')}`)
  })
  test('anything else is refused, saying what selmode may be; patient needs the pid', () => {
    expect(() => parseUrlCall('{"pid":"P1","selmode":"yourmode"}')).toThrow('"selmode" must be study (select the study) or patient')
    expect(() => parseUrlCall('{"selmode":"patient"}')).toThrow('"selmode": "patient" needs the patient ("pid")')
  })
})
