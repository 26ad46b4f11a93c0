import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectDir } from '../archive/archive-paths'
import type { ArchiveService } from '../archive/archive-service'
import { NotFoundError } from '../core/errors'
import { removeInside, safeJoin } from '../core/safe-path'
import type { User } from '../core/types'
import { storeFiles, type PushOutcome } from '../dicom/dimse/store-scu'
import { readBundle } from '../importer/dicom-bundle'
import { readDicomHeader } from '../dicom/dicom-header'
import type { PullsRepo } from '../store/repos/pulls-repo'
import type { PacsService } from './pacs-service'

/** C-STORE push of a study's kept DICOM originals (the importer's tar.gz bundles) to a node of conf/pacs.conf. */
export class PushService {
  constructor(private readonly deps: { dataRoot: string; pulls: PullsRepo; archive: ArchiveService; pacs: PacsService }) {}

  /** Pushes a study, or only the series `seriesUids` of it (by SeriesInstanceUID) when given. */
  async pushStudy(
    actor: User,
    nodeName: string,
    projectName: string,
    studyUid: string,
    onProgress?: (done: number, total: number) => void,
    seriesUids: string[] = [],
  ): Promise<PushOutcome & { instances: number }> {
    const node = this.deps.pacs.node(nodeName)
    const project = await this.deps.archive.open(actor, projectName, 'write') // sending data out of nora: the project's writers
    const folders = await this.deps.pulls.studyFolders(project.id, studyUid)
    if (!folders.length) throw new NotFoundError(`project "${projectName}" has no study with StudyInstanceUID ${studyUid}`)
    const bundles: string[] = []
    for (const f of folders) {
      const dir = safeJoin(projectDir(this.deps.dataRoot, project.name), f.patientsId, f.studiesId, 'dicom')
      if (existsSync(dir)) for (const b of readdirSync(dir).sort()) if (b.endsWith('.tar.gz')) bundles.push(safeJoin(dir, b))
    }
    if (!bundles.length) throw new NotFoundError(`study ${studyUid} of "${projectName}" kept no DICOM originals (the project drops them: --keepdicom no)`)
    const work = mkdtempSync(join(tmpdir(), 'nora-push-'))
    try {
      const files: string[] = []
      for (const [i, b] of bundles.entries()) files.push(...(await readBundle(b, join(work, String(i)))))
      if (seriesUids.length) {
        const wanted = new Set(seriesUids)
        const kept = files.filter((f) => wanted.has(seriesUidOf(f)))
        if (!kept.length) throw new NotFoundError(`study ${studyUid} of "${projectName}" has no kept series ${seriesUids.join(', ')}`)
        files.splice(0, files.length, ...kept)
      }
      const out = await storeFiles(node, this.deps.pacs.callingAet, files, { onProgress })
      return { ...out, instances: files.length }
    } finally {
      removeInside(tmpdir(), work)
    }
  }
}

function seriesUidOf(file: string): string {
  try {
    return readDicomHeader(readFileSync(file), file).seriesInstanceUid
  } catch {
    return ''
  }
}
