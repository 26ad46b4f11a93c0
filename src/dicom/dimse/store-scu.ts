import dimse from 'dcmjs-dimse'
import { DimseError, runAssociation, type DicomNode, type ScuOptions } from './scu'

// With scu.ts, retrieve.ts and store-scp.ts, the only place that imports dcmjs-dimse.
const { CStoreRequest } = dimse.requests
const { Status } = dimse.constants

export interface PushOutcome {
  completed: number
  failed: number
  warning: number
  /** Per failed file: its path and why. */
  failures: { file: string; reason: string }[]
}

/**
 * C-STORE SCU: sends Part 10 files to a node, `perAssociation` instances per association (files are read as they
 * are sent, so memory stays bounded); `onProgress` after each answered instance.
 */
export async function storeFiles(node: DicomNode, callingAet: string, files: string[], opts: ScuOptions & { perAssociation?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<PushOutcome> {
  const out: PushOutcome = { completed: 0, failed: 0, warning: 0, failures: [] }
  const chunk = Math.max(1, opts.perAssociation ?? 64)
  let answered = 0
  for (let i = 0; i < files.length; i += chunk) {
    const batch = files.slice(i, i + chunk)
    const requests: dimse.requests.CStoreRequest[] = []
    for (const file of batch) {
      let request: dimse.requests.CStoreRequest
      try {
        request = new CStoreRequest(file)
      } catch (e) {
        out.failed++
        out.failures.push({ file, reason: `not readable as DICOM: ${(e as Error).message}` })
        opts.onProgress?.(++answered, files.length)
        continue
      }
      request.on('response', (r: dimse.responses.CStoreResponse) => {
        const status = r.getStatus()
        if (status === Status.Success) out.completed++
        else if ((status & 0xf000) === 0xb000) out.warning++
        else {
          out.failed++
          out.failures.push({ file, reason: `C-STORE status 0x${status.toString(16).padStart(4, '0')}${r.getErrorComment?.() ? ` (${r.getErrorComment()})` : ''}` })
        }
        opts.onProgress?.(++answered, files.length)
      })
      requests.push(request)
    }
    if (!requests.length) continue
    await runAssociation(node, callingAet, requests, { timeoutMs: opts.timeoutMs ?? 600_000 })
  }
  if (out.completed + out.warning + out.failed < files.length)
    throw new DimseError(node, 'failed', `only ${out.completed + out.warning + out.failed} of ${files.length} instances were answered`)
  return out
}
