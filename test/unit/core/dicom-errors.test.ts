// DimseError and DicomError are NoraErrors: the CLI and HTTP answer them by their class, with no mapping by hand.
import { expect, test } from 'bun:test'
import { errorLine } from '../../../src/cli/error-line'
import { NoraError, ServiceError } from '../../../src/core/errors'
import { DicomError, readDicomHeader } from '../../../src/dicom/dicom-header'
import { DimseError, echo } from '../../../src/dicom/dimse/scu'
import { freePort } from '../../helpers/home'

test('a PACS that does not answer is a ServiceError: exit 4, HTTP 503, the message names the node', async () => {
  const node = { name: 'nowhere', aet: 'NOWHERE', host: '127.0.0.1', port: freePort() }
  const e = await echo(node, 'NORA', { timeoutMs: 5000 }).then(
    () => undefined,
    (x: unknown) => x,
  )
  expect(e).toBeInstanceOf(DimseError)
  expect(e).toBeInstanceOf(ServiceError)
  const err = e as DimseError
  expect([err.exitCode, err.status, err.name]).toEqual([4, 503, 'DimseError'])
  expect(errorLine(err)).toEqual({ line: err.message, exitCode: 4 })
  expect(err.message).toContain('PACS "nowhere" (NOWHERE) at 127.0.0.1:')
}, 30_000)

test('a file that is no DICOM is a DicomError: a NoraError answered 422, exit 1, with the reason apart from the file', () => {
  const file = 'upload/not.dcm'
  let e: unknown
  try {
    readDicomHeader(new TextEncoder().encode('this is no DICOM file at all, only text'.repeat(10)), file)
  } catch (x) {
    e = x
  }
  expect(e).toBeInstanceOf(DicomError)
  expect(e).toBeInstanceOf(NoraError)
  const err = e as DicomError
  expect([err.status, err.exitCode, err.name]).toEqual([422, 1, 'DicomError'])
  expect(err.message).toBe(`${file}: ${err.reason}`)
  expect(errorLine(err)?.exitCode).toBe(1)
})
