/**
 * DIMSE command sets as nora reads and writes them itself (PS3.7 E.1: group 0000, implicit VR little endian): the
 * fields of a request it routes, and the C-STORE response it answers with.
 */

/** CommandField values (PS3.7 E.1-1). */
export const CommandField = { CStoreRq: 0x0001, CStoreRsp: 0x8001 } as const
/** CommandDataSetType: no dataset follows (any other value: one does). */
export const NO_DATASET = 0x0101

export interface CommandFields {
  field?: number
  dataSetType?: number
  messageId?: number
  affectedSopClassUid?: string
  affectedSopInstanceUid?: string
}

/** A C-STORE request with a dataset: nora streams that dataset to the spool itself (it never sits in memory). */
export const isStoreWithDataset = (c: CommandFields) => c.field === CommandField.CStoreRq && c.dataSetType !== undefined && c.dataSetType !== NO_DATASET

/** A UI value as sent: NUL and space padding removed. */
const uid = (value: Buffer) => value.toString('latin1').replace(/[\0 ]+$/, '')

/** The fields nora uses, where present; a truncated element ends the walk. */
export function readCommand(command: Buffer): CommandFields {
  const out: CommandFields = {}
  for (let at = 0; at + 8 <= command.length; ) {
    const group = command.readUInt16LE(at)
    const element = command.readUInt16LE(at + 2)
    const length = command.readUInt32LE(at + 4)
    const value = at + 8
    if (value + length > command.length) break
    if (group === 0) {
      if (length === 2 && element === 0x0100) out.field = command.readUInt16LE(value)
      else if (length === 2 && element === 0x0800) out.dataSetType = command.readUInt16LE(value)
      else if (length === 2 && element === 0x0110) out.messageId = command.readUInt16LE(value)
      else if (element === 0x0002) out.affectedSopClassUid = uid(command.subarray(value, value + length))
      else if (element === 0x1000) out.affectedSopInstanceUid = uid(command.subarray(value, value + length))
    }
    at = value + length
  }
  return out
}

function element(tag: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt16LE(0, 0)
  head.writeUInt16LE(tag, 2)
  head.writeUInt32LE(value.length, 4)
  return Buffer.concat([head, value])
}

const us = (n: number) => {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(n)
  return b
}
const ui = (text: string) => Buffer.from(text.length % 2 ? `${text}\0` : text, 'latin1')

/** The C-STORE-RSP command set answering `request` with `status` (PS3.7 9.3.1.2). */
export function cStoreResponse(request: CommandFields, status: number): Buffer {
  const body = Buffer.concat([
    element(0x0002, ui(request.affectedSopClassUid ?? '')),
    element(0x0100, us(CommandField.CStoreRsp)),
    element(0x0120, us(request.messageId ?? 0)),
    element(0x0800, us(NO_DATASET)),
    element(0x0900, us(status)),
    element(0x1000, ui(request.affectedSopInstanceUid ?? '')),
  ])
  const length = Buffer.alloc(4)
  length.writeUInt32LE(body.length)
  return Buffer.concat([element(0x0000, length), body])
}

/** A P-DATA-TF PDU carrying one whole command set on presentation context `pcid` (PS3.8 9.3.5, E.2). */
export function commandPdu(pcid: number, command: Buffer): Buffer {
  const head = Buffer.alloc(12)
  head[0] = 4
  head.writeUInt32BE(6 + command.length, 2)
  head.writeUInt32BE(2 + command.length, 6)
  head[10] = pcid
  head[11] = 0x03 // command, last fragment
  return Buffer.concat([head, command])
}
