// The browser's side of ROIs saved with reading results: which readings take them (tools.roi), the names the ROIs are
// sent under (the server's name rule, unique), the base64 of the .nii.gz (against Node's own encoder).
import { describe, expect, test } from 'bun:test'
import { checkRoiName } from '../../../src/roi/roi-name'
import { base64, uploadName } from '../../../src/web/viewer/reading/roi-port'
import { sessionRules } from '../../../src/web/viewer/reading/session-rules'

describe('reading ROIs in the browser', () => {
  test('tools.roi 1 turns them on; 0 turns the ROI tool off; absent: neither', () => {
    expect(sessionRules({ reading: { reading: {}, tools: { roi: 1 } } }).rois).toBe(true)
    expect(sessionRules({ reading: { reading: {}, tools: { roi: '1' } } }).rois).toBe(true)
    const off = sessionRules({ reading: { reading: {}, tools: { roi: 0 } } })
    expect(off.rois).toBeUndefined()
    expect(off.toolsOff).toEqual(['roi'])
    expect(sessionRules({ reading: { reading: {} } }).rois).toBeUndefined()
  })

  test('names: the ROI tool\'s "ROI 1" and others become names the server takes, unique within a result', () => {
    const taken = new Set<string>()
    const names = ['ROI 1', 'ROI 1', 'lesion.nii.gz', '-left', '...', 'Läsion groß'].map((n, i) => uploadName(n, i + 1, taken))
    expect(names).toEqual(['ROI_1', 'ROI_1_2', 'lesion', 'left', 'roi', 'L_sion_gro_'])
    for (const n of names) expect('problem' in checkRoiName(n)).toBe(false)
  })

  test('base64 of large byte arrays equals Node\'s encoder', () => {
    const bytes = new Uint8Array(200_001)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff
    expect(base64(bytes)).toBe(Buffer.from(bytes).toString('base64'))
    expect(base64(new Uint8Array(0))).toBe('')
  })
})
