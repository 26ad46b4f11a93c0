/** The Part 10 file start (preamble, "DICM", file meta group) for a dataset received over the network. */
export interface MetaFields {
  sopClassUid: string
  sopInstanceUid: string
  transferSyntaxUid: string
  sourceAet?: string
}

const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.9.7433.1.1'
const IMPLEMENTATION_VERSION = 'NORA_1'

function element(group: number, elem: number, vr: string, value: Buffer): Buffer {
  const long = vr === 'OB' || vr === 'OW' || vr === 'UN' || vr === 'SQ' || vr === 'UT'
  const head = Buffer.alloc(long ? 12 : 8)
  head.writeUInt16LE(group, 0)
  head.writeUInt16LE(elem, 2)
  head.write(vr, 4, 'latin1')
  if (long) head.writeUInt32LE(value.length, 8)
  else head.writeUInt16LE(value.length, 6)
  return Buffer.concat([head, value])
}

/** UIDs pad with NUL, text with a space, to an even length. */
function padded(text: string, pad: '\0' | ' '): Buffer {
  const b = Buffer.from(text, 'latin1')
  return b.length % 2 ? Buffer.concat([b, Buffer.from(pad, 'latin1')]) : b
}

export function part10Header(m: MetaFields): Buffer {
  const items = [
    element(2, 0x0001, 'OB', Buffer.from([0, 1])),
    element(2, 0x0002, 'UI', padded(m.sopClassUid, '\0')),
    element(2, 0x0003, 'UI', padded(m.sopInstanceUid, '\0')),
    element(2, 0x0010, 'UI', padded(m.transferSyntaxUid, '\0')),
    element(2, 0x0012, 'UI', padded(IMPLEMENTATION_CLASS_UID, '\0')),
    element(2, 0x0013, 'SH', padded(IMPLEMENTATION_VERSION, ' ')),
    ...(m.sourceAet ? [element(2, 0x0016, 'AE', padded(m.sourceAet.trim(), ' '))] : []),
  ]
  const body = Buffer.concat(items)
  const length = Buffer.alloc(4)
  length.writeUInt32LE(body.length, 0)
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(2, 0x0000, 'UL', length), body])
}
