// The jobs' errors are NoraErrors: the CLI and HTTP answer them by their class, with no mapping by hand.
import { expect, test } from 'bun:test'
import { errorLine } from '../../../src/cli/error-line'
import { NoraError, ServiceError } from '../../../src/core/errors'
import { runTool, SchedulerDownError, ToolError } from '../../../src/jobs/executor'
import { JobInputError } from '../../../src/jobs/resolve-args'

test('a scheduler that cannot be asked is a ServiceError: exit 4, HTTP 503, the message names the executor', () => {
  const e = new SchedulerDownError('slurm', 'squeue: error: Unable to contact slurm controller')
  expect(e).toBeInstanceOf(ServiceError)
  expect([e.exitCode, e.status, e.name]).toEqual([4, 503, 'SchedulerDownError'])
  expect(errorLine(e)).toEqual({ line: 'scheduler down: slurm: squeue: error: Unable to contact slurm controller', exitCode: 4 })
})

test('a missing job input is a NoraError: exit 1, HTTP 400, its message only', () => {
  const e = new JobInputError('no file matches t1*/s0__.nii')
  expect(e).toBeInstanceOf(NoraError)
  expect([e.exitCode, e.status, e.name]).toEqual([1, 400, 'JobInputError'])
  expect(errorLine(e)).toEqual({ line: 'no file matches t1*/s0__.nii', exitCode: 1 })
})

test('a scheduler tool that fails is a ToolError (NoraError, HTTP 502) with its command line and exit code', async () => {
  const failed = await runTool(['/bin/sh', '-c', 'echo refused >&2; exit 3']).then(
    () => undefined,
    (x: unknown) => x,
  )
  expect(failed).toBeInstanceOf(ToolError)
  expect(failed).toBeInstanceOf(NoraError)
  const e = failed as ToolError
  expect([e.code, e.exitCode, e.status]).toEqual([3, 1, 502])
  expect(e.message).toContain('(exit 3): refused')
  expect(errorLine(e)).toEqual({ line: e.message, exitCode: 1 })
  const missing = (await runTool(['/nonexistent/sbatch']).catch((x: unknown) => x)) as ToolError
  expect(missing).toBeInstanceOf(ToolError)
  expect(missing.code).toBe(127)
})
