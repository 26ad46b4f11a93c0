import { afterAll } from 'bun:test'
import { sge, type SgeHandle } from '../../services/sge'
import { describeExecutor } from './describe-executor'

let h: SgeHandle | undefined
describeExecutor('sge', async () => {
  h = await sge()
  for (const k of ['SGE_ROOT', 'SGE_CELL', 'SGE_QMASTER_PORT', 'SGE_EXECD_PORT']) process.env[k] = h.env[k]
})
afterAll(async () => {
  await h?.stop()
}, 60_000)

import { describe, expect, test } from 'bun:test'
import { selfTest } from '../../../src/cli/commands/self-test'
import { makeHome } from '../../helpers/home'

describe('CLI on SGE', () => {
  test('nora test sge submits a job to DPXproc and DPXimport and reports each with its time', async () => {
    if (!h) return
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
