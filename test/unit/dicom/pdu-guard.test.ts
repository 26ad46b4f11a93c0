import { describe, expect, test } from 'bun:test'
import { AbortReason, HANDSHAKE_PDU_MAX, IN_MEMORY_MESSAGE_MAX, PduGuard } from '../../../src/dicom/dimse/pdu-guard'

// PDUs written byte by byte from PS3.8 9.3 (type, reserved, 32-bit big-endian length, body), not by nora's code.
const pdu = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 0]), u32be(body.length), body])
const u32be = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}
/** A PDV item: length, presentation context 1, control header (bit 0 command, bit 1 last fragment). */
const pdv = (value: Buffer, command: boolean, last: boolean) => Buffer.concat([u32be(value.length + 2), Buffer.from([1, (command ? 1 : 0) | (last ? 2 : 0)]), value])
/** A command element in implicit VR little endian (PS3.7 E.1): group 0000, element, length, value. */
const us = (element: number, value: number) => {
  const b = Buffer.alloc(10)
  b.writeUInt16LE(0, 0)
  b.writeUInt16LE(element, 2)
  b.writeUInt32LE(2, 4)
  b.writeUInt16LE(value, 8)
  return b
}
const cStoreCommand = Buffer.concat([us(0x0100, 0x0001), us(0x0800, 0x0000)])
const cEchoWithDataset = Buffer.concat([us(0x0100, 0x0030), us(0x0800, 0x0000)])

function feed(guard: PduGuard, chunks: Buffer[]) {
  const got: Buffer[] = []
  let problem
  for (const c of chunks) {
    problem = guard.push(c, (p) => got.push(p))
    if (problem) break
  }
  return { got, problem }
}

describe('PduGuard', () => {
  test('a header declaring 4 GB is refused from its 6 bytes, before any body is kept', () => {
    const guard = new PduGuard()
    const { got, problem } = feed(guard, [Buffer.from([1, 0, 0xff, 0xff, 0xff, 0xf0]), Buffer.alloc(65536)])
    expect(got).toEqual([])
    expect(problem?.reason).toBe(AbortReason.InvalidPduParameter)
    expect(problem?.message).toContain('4294967280')
    expect(guard.buffered).toBe(0)
    expect(guard.push(Buffer.alloc(10), () => {})).toBe(problem) // and what follows is dropped
  })

  test('an A-ASSOCIATE-RQ of 64 KB arrives whole in bytes split anywhere; one byte more is refused', () => {
    const body = Buffer.alloc(HANDSHAKE_PDU_MAX, 7)
    const whole = pdu(1, body)
    const { got, problem } = feed(new PduGuard(), [whole.subarray(0, 3), whole.subarray(3, 1000), whole.subarray(1000)])
    expect(problem).toBeUndefined()
    expect(got).toHaveLength(1)
    expect(got[0]!.equals(whole)).toBe(true)
    expect(feed(new PduGuard(), [pdu(1, Buffer.alloc(HANDSHAKE_PDU_MAX + 1))]).problem?.reason).toBe(AbortReason.InvalidPduParameter)
  })

  test('P-DATA before the association is accepted, a second A-ASSOCIATE-RQ and unknown types are refused', () => {
    expect(feed(new PduGuard(), [pdu(4, Buffer.alloc(8))]).problem?.reason).toBe(AbortReason.UnexpectedPdu)
    expect(feed(new PduGuard(), [pdu(1, Buffer.alloc(100)), pdu(1, Buffer.alloc(100))]).problem?.reason).toBe(AbortReason.UnexpectedPdu)
    expect(feed(new PduGuard(), [pdu(9, Buffer.alloc(4))]).problem?.reason).toBe(AbortReason.UnrecognizedPdu)
  })

  test('after accept, P-DATA-TF up to the negotiated length passes and one byte more is refused', () => {
    const guard = new PduGuard()
    guard.associated(16384)
    const fits = pdu(4, pdv(Buffer.alloc(16384 - 6), false, true))
    const two = feed(guard, [Buffer.concat([fits, fits])])
    expect(two.problem).toBeUndefined()
    expect(two.got).toHaveLength(2)
    const over = pdu(4, pdv(Buffer.alloc(16384 - 5), false, true))
    expect(feed(guard, [over]).problem?.message).toContain('16385')
  })

  test('a C-STORE dataset streams without limit; a command set or another dataset is bounded', () => {
    const guard = new PduGuard()
    guard.associated(65536)
    const store = [pdu(4, pdv(cStoreCommand, true, true))]
    for (let i = 0; i < 100; i++) store.push(pdu(4, pdv(Buffer.alloc(60000), false, false)))
    store.push(pdu(4, pdv(Buffer.alloc(10), false, true)))
    const streamed = feed(guard, store)
    expect(streamed.problem).toBeUndefined()
    expect(streamed.got).toHaveLength(102)

    const endless = [pdu(4, pdv(Buffer.alloc(60000), true, false)), pdu(4, pdv(Buffer.alloc(60000), true, false))]
    expect(feed(guard, endless).problem?.message).toContain(`${IN_MEMORY_MESSAGE_MAX}`)

    const echo = new PduGuard()
    echo.associated(65536)
    expect(feed(echo, [pdu(4, pdv(cEchoWithDataset, true, true)), pdu(4, pdv(Buffer.alloc(40000), false, false)), pdu(4, pdv(Buffer.alloc(40000), false, false))]).problem?.message).toContain('outside a C-STORE')
  })

  test('empty fragments count too: a command set or an in-memory dataset of endless empty PDVs is bounded', () => {
    const guard = new PduGuard()
    guard.associated(65536)
    const empties = Array.from({ length: 20_000 }, () => pdu(4, pdv(Buffer.alloc(0), true, false)))
    const command = feed(guard, empties)
    expect(command.problem?.message).toContain(`${IN_MEMORY_MESSAGE_MAX}`)
    expect(command.got.length).toBeLessThan(IN_MEMORY_MESSAGE_MAX / 6 + 1)

    const echo = new PduGuard()
    echo.associated(65536)
    const dataset = feed(echo, [pdu(4, pdv(cEchoWithDataset, true, true)), ...Array.from({ length: 20_000 }, () => pdu(4, pdv(Buffer.alloc(0), false, false)))])
    expect(dataset.problem?.message).toContain('outside a C-STORE')
  })

  test('a PDV item longer than its PDU is refused', () => {
    const guard = new PduGuard()
    guard.associated(65536)
    const bad = Buffer.concat([u32be(1000), Buffer.from([1, 2]), Buffer.alloc(10)])
    expect(feed(guard, [pdu(4, bad)]).problem?.reason).toBe(AbortReason.InvalidPduParameter)
  })
})
