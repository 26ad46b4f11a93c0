import { describe, expect, test } from 'bun:test'
import { checkRoiName } from '../../../src/roi/roi-name'
import { roiName } from '../../../src/archive/roi-store'

describe('ROI names: one rule for the browser rename and the archive', () => {
  const good = ['lesion_1', 'a', 'T2.flair-mask', 'x'.repeat(100), 'ball.nii.gz', 'ball.nii', '0abc']
  const bad = ['', ' lesion', 'lesion 1', '../x', 'a/b', '.hidden', '_x', 'a..b', 'x'.repeat(101), 'ROI 1', 'é', 'a\\b', 'a\u0000']

  test('allowed names come back without .nii / .nii.gz, the same in both', () => {
    for (const n of good) {
      const r = checkRoiName(n)
      expect(r).toEqual({ name: n.replace(/\.nii(\.gz)?$/, '') })
      expect(roiName(n)).toBe(n.replace(/\.nii(\.gz)?$/, ''))
    }
  })

  test('refused names say why, and the archive refuses them with the same message', () => {
    for (const n of bad) {
      const r = checkRoiName(n)
      expect('problem' in r).toBe(true)
      const problem = (r as { problem: string }).problem
      expect(problem).toContain('is not allowed: use letters, digits')
      expect(() => roiName(n)).toThrow(problem)
    }
  })
})
