import { UsageError } from '../../../core/errors'

/** The seed's `call` field of `index.php`: `{"cmd":"import","user":"U","token":"T"}`. */
export interface LegacyCall {
  cmd: 'import'
  user?: string
  token?: string
}

export const CALL_EXAMPLE = `-F 'call={"cmd":"import","user":"U","token":"T"}' -F 'thefile=@data.zip'`

/** Parses and checks the `call` field; every way it can be malformed is a UsageError (400) saying which. */
export function parseLegacyCall(raw: string | undefined): LegacyCall {
  if (raw === undefined) throw new UsageError(`send the call field before the file: ${CALL_EXAMPLE}`)
  let call: unknown
  try {
    call = JSON.parse(raw)
  } catch (e) {
    throw new UsageError(`the "call" field is not JSON (${(e as Error).message}): ${CALL_EXAMPLE}`)
  }
  if (typeof call !== 'object' || call === null || Array.isArray(call)) throw new UsageError(`the "call" field must be a JSON object: ${CALL_EXAMPLE}`)
  const { cmd, user, token } = call as Record<string, unknown>
  if (cmd === undefined) throw new UsageError(`the "call" field has no "cmd": ${CALL_EXAMPLE}`)
  if (typeof cmd !== 'string') throw new UsageError(`"cmd" in the "call" field must be a string, not ${JSON.stringify(cmd).slice(0, 40)}`)
  if (cmd !== 'import') throw new UsageError(`unknown cmd "${cmd.slice(0, 40)}"; this endpoint takes {"cmd":"import",...}`)
  if (user !== undefined && typeof user !== 'string') throw new UsageError(`"user" in the "call" field must be a string, not ${JSON.stringify(user).slice(0, 40)}`)
  if (token !== undefined && typeof token !== 'string') throw new UsageError(`"token" in the "call" field must be a string, not ${JSON.stringify(token).slice(0, 40)}`)
  if (token !== undefined && !user) throw new UsageError(`the "call" field gives a token but no "user": ${CALL_EXAMPLE}`)
  return { cmd, user, token }
}
