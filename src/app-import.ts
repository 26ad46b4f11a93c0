import { openArchive, type ArchiveCore } from './app-archive'
import type { Config } from './config/load-config'
import type { ImportedStudies, Project } from './core/types'
import type { ImportRecord } from './store/repos/imports-repo'
import { createConverter } from './dicom/convert/converter-pool'
import { ImportQueue } from './importer/import-queue'
import { ImportService, type SeriesConverter } from './importer/import-service'
import { Pseudonyms } from './importer/pseudonyms'

/** The importer and its pseudonyms on an archive core: built this way by the whole app (app.ts) and openImport. */
export function importerOn(core: ArchiveCore, converter: SeriesConverter, queue: ImportQueue, onImported?: (e: ImportedStudies) => unknown, onEnded?: (r: ImportRecord, project: Project) => unknown): { importer: ImportService; pseudonyms: Pseudonyms } {
  const { config, repos, rights, archive } = core
  const pseudonyms = new Pseudonyms(`${config.dataRoot}/keys/site.key`, repos.pseudonyms)
  const importer = new ImportService({ dataRoot: config.dataRoot, writer: archive.writer, repos, rights, converter, pseudonyms, queue, maxParallel: config.main.import.maxParallel, onImported, onEnded })
  return { importer, pseudonyms }
}

export interface ImportCore extends ArchiveCore {
  importer: ImportService
  close(): Promise<void>
}

/**
 * The database, the archive, the converter and the importer alone: what `nora -p P --import SRC` needs when it
 * launches no autoexecution queue (the CLI's default), without loading jobs, PACS, DICOM networking or HTTP (the
 * whole app costs ~0.3 s to load, more than an import of a small folder). Imports run here (`here`), so the import
 * queue is a plain one.
 */
export async function openImport(config: Config): Promise<ImportCore> {
  const core = await openArchive(config)
  const converter = createConverter(config.main.import)
  const { importer } = importerOn(core, converter, new ImportQueue(1))
  return {
    ...core,
    importer,
    async close() {
      converter.close()
      await core.db.close()
    },
  }
}
