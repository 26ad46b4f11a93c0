import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDicomNode } from '../../../src/app'
import { DICOMDIRTESTS } from '../../helpers/dicom-fixtures'
import { waitFor } from '../../helpers/dcmtk'
import { startApp } from '../http/harness'
import { serviceOrSkip, slurm, titled, type SlurmHandle } from '../../services/slurm'

// The cluster is asked for while the file loads, so that without one (outside CI) the test is reported skipped.
const up = await serviceOrSkip('slurm', slurm)
const cluster: SlurmHandle | undefined = up.handle

afterAll(async () => {
  await cluster?.stop()
}, 60_000)

describe.skipIf(!cluster)(titled('received studies as Slurm import jobs (import.executor "queue", jobs.queue "slurm")', up.skip), () => {
  test('a study sent by storescu is imported by a job in DPXimport, not in the server, and leaves the spool', async () => {
    process.env.SLURM_CONF = cluster!.conf
    const h = await startApp('sqlite', 'import: { executor: "queue" }, jobs: { queue: "slurm" }')
    const log: string[] = []
    const node = await startDicomNode(h.services, (line) => log.push(line))
    try {
      // storescu runs beside this process (the receiver runs in it: a synchronous spawn would block it).
      const sent = Bun.spawn(['storescu', '-aec', 'NORA', '-aet', 'SCANNER', '+sd', '+r', '127.0.0.1', String(h.home.dicomPort), join(DICOMDIRTESTS, '77654033/CR1')], { stdout: 'pipe', stderr: 'pipe' })
      expect(await sent.exited).toBe(0)
      // No routes.conf: the study goes to the quarantine project, through a one-job system batch on Slurm.
      const job = await waitFor('the import job', async () => (await h.services.repos.jobs.gridjobs({ executor: 'slurm' }))[0], 60_000)
      const importId = (JSON.parse(job.job) as { importId?: number }).importId
      expect(importId).toBeGreaterThan(0)
      expect(job.psid).toBe(`import ${importId}`)
      const record = await waitFor('the import job to end', async () => {
        const r = await h.services.importer.status(importId!)
        return r && (r.state === 'done' || r.state === 'failed') ? r : undefined
      }, 200_000)
      expect(record.message).toBe('')
      expect(record).toMatchObject({ state: 'done', source: 'dicom from SCANNER' })
      expect(record.counts.series).toBe(1)
      // Slurm ran it and saw it end well; the job itself ran the import (nora --run-import writes to its log).
      await h.services.importQueue.settled()
      const [g] = await h.services.repos.jobs.gridjobs({ executor: 'slurm' })
      expect(g).toMatchObject({ state: 'done', exitCode: 0, project: 'quarantine' })
      expect(readFileSync(g!.logPath, 'utf8')).toContain(`import ${importId} into quarantine`)
      const project = await h.services.repos.projects.byName('quarantine')
      const nii = (await h.services.repos.files.select({ projectId: project!.id, pathLike: '%' }).next()).value?.filter((f: { path: string }) => f.path.endsWith('.nii')) ?? []
      expect(nii.length).toBe(1)
      // The spool keeps nothing of the study: the job's staging took it, and it is gone after success.
      const spool = join(h.services.config.dataRoot, 'spool')
      expect(readdirSync(spool).filter((n) => n !== 'incoming')).toEqual([])
      expect(existsSync(join(h.services.config.dataRoot, 'imports', 'queued', String(importId)))).toBe(false)
      expect(log.join('\n')).toContain(`import ${importId} handed to an import job`)
    } finally {
      node.stop()
      await h.close()
    }
  }, 300_000)
})
