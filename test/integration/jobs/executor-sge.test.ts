import { afterAll } from 'bun:test'
import { sge } from '../../services/sge'
import { serviceOrSkip, titled } from '../../services/slurm'
import { describeExecutor } from './describe-executor'

// The cell is asked for while the file loads, so that without one (outside CI) the tests are reported skipped.
const cell = await serviceOrSkip('sge', sge)
const h = cell.handle
if (h) for (const k of ['SGE_ROOT', 'SGE_CELL', 'SGE_QMASTER_PORT', 'SGE_EXECD_PORT']) process.env[k] = h.env[k]
describeExecutor('sge', cell.skip)
afterAll(async () => {
  await h?.stop()
}, 60_000)

import { describe, expect, test } from 'bun:test'
import { selfTest } from '../../../src/cli/commands/self-test'
import { makeHome } from '../../helpers/home'

describe.skipIf(!h)(titled('CLI on SGE', cell.skip), () => {
  test('nora test sge submits a job to DPXproc and DPXimport and reports each with its time', async () => {
    const home = makeHome({ extra: 'jobs: { queue: "sge" }' })
    try {
      const lines: string[] = []
      const io = { tty: false, out: async (l: string) => void lines.push(l), err: async () => {} }
      expect(await selfTest({ positional: ['test', 'sge'], options: new Map([['home', [home.home]]]) }, io)).toBe(0)
      expect(lines[0]).toMatch(/^sge {4}OK {3}DPXproc OK \d+\.\d s \(job \d+\); DPXimport OK \d+\.\d s \(job \d+\)$/)
    } finally {
      home.cleanup()
    }
  }, 60_000)
})
