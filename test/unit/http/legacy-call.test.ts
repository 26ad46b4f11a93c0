import { describe, expect, test } from 'bun:test'
import { UsageError } from '../../../src/core/errors'
import { parseLegacyCall } from '../../../src/http/api/imports/legacy-call'

describe('the call field of index.php', () => {
  test('the seed\'s call is taken as it is', () => {
    expect(parseLegacyCall('{"cmd":"import","user":"U","token":"T"}')).toEqual({ cmd: 'import', user: 'U', token: 'T' })
    expect(parseLegacyCall('{"cmd":"import"}')).toEqual({ cmd: 'import', user: undefined, token: undefined })
  })

  test('every malformed call is a UsageError (400) saying what is wrong', () => {
    const cases: [string | undefined, string][] = [
      [undefined, 'send the call field before the file'],
      ['{', 'is not JSON'],
      ['"import"', 'must be a JSON object'],
      ['[]', 'must be a JSON object'],
      ['null', 'must be a JSON object'],
      ['{"user":"U","token":"T"}', 'has no "cmd"'],
      ['{"cmd":["import"]}', '"cmd" in the "call" field must be a string'],
      ['{"cmd":"rm -rf"}', 'unknown cmd "rm -rf"'],
      ['{"cmd":"import","user":1,"token":"T"}', '"user" in the "call" field must be a string, not 1'],
      ['{"cmd":"import","user":"U","token":true}', '"token" in the "call" field must be a string, not true'],
      ['{"cmd":"import","token":"T"}', 'gives a token but no "user"'],
    ]
    for (const [raw, message] of cases) {
      let thrown: unknown
      try {
        parseLegacyCall(raw)
      } catch (e) {
        thrown = e
      }
      expect(thrown).toBeInstanceOf(UsageError)
      expect((thrown as UsageError).status).toBe(400)
      expect((thrown as Error).message).toContain(message)
    }
  })
})
