import type { ArchiveService } from '../archive/archive-service'
import type { AutoloadItem, AutoloadersService } from '../archive/autoloaders'
import { resolveProjectFile } from '../archive/file-access'
import type { StudiesService } from '../archive/filter/studies-service'
import type { StudyRowOut } from '../archive/filter/study-query'
import { readNiftiHead } from '../archive/roi-store'
import { UsageError } from '../core/errors'
import type { Project, User } from '../core/types'
import type { CaseRef, Slot } from './case-order'
import type { Phase, ReadingConfig } from './reading-config'
import { gridOfFields, type CaseGrid } from './roi-upload'
import { matches } from './sql-condition'

/** A slot of a session as stored: the slot, and what a sighted reader is shown of its case. */
export interface StoredSlot extends Slot {
  pid: string
  sid: string
  image?: string
  label: string
}

/** A reading as the case source needs it: its project and parsed config. */
export interface ReadingScope {
  project: Project
  config: ReadingConfig
}

export interface CaseSourceDeps {
  archive: Pick<ArchiveService, 'select' | 'projectDir'>
  studies: Pick<StudiesService, 'all'>
  autoloaders: Pick<AutoloadersService, 'list'>
}

export interface CaseLoad {
  item: AutoloadItem
  /** `relative`: in the project (PID/SID/...); `path`: inside the study. */
  file: { relative: string; path: string }
}

const MAX_CASES = 20_000

/** Where a reading's cases come from: the studies its conditions select, and the files its autoloaders load for a case. */
export class CaseSource {
  constructor(private readonly d: CaseSourceDeps) {}

  /** The cases of a mode in sort order (the condition checked exactly on the rows the filter bars select). */
  async cases(actor: User, a: ReadingScope, mode: Phase): Promise<{ ref: CaseRef; row: StudyRowOut }[]> {
    const sel = a.config.selection[mode]
    const out: { ref: CaseRef; row: StudyRowOut }[] = []
    for await (const page of this.d.studies.all(actor, a.project.name, sel.bars, { sort: a.config.sortOrder, dir: a.config.sortDirection })) {
      for (const row of page) {
        if (sel.condition && !matches(sel.condition, row)) continue
        const pid = row.patients_id
        const sid = row.studies_id ?? ''
        if (a.config.randomise !== 'image') out.push({ ref: { caseKey: `${pid}#${sid}`, patientsId: pid, studiesId: sid }, row })
        else {
          const pattern = a.config.imagePattern ?? a.config.autoloaders![0]!.pattern
          const files: string[] = []
          for await (const fp of this.d.archive.select(actor, a.project.name, pattern, { patientsId: pid, studiesId: sid })) files.push(...fp.map((f) => f.path))
          for (const f of files.sort()) out.push({ ref: { caseKey: `${pid}#${sid}#${f}`, patientsId: pid, studiesId: sid, image: f }, row })
        }
        if (out.length > MAX_CASES) throw new UsageError(`the ${mode} condition selects more than ${MAX_CASES} cases; narrow it down`)
      }
    }
    return out
  }

  /** What the autoloader loads for a case in a stage (its autoloaders, else the viewer's, else the project's active preset): per item the first file by path. */
  async loads(actor: User, a: ReadingScope, slot: StoredSlot, stage: number): Promise<CaseLoad[]> {
    const stageDef = a.config.stages[Math.max(0, Math.min(a.config.stages.length - 1, stage - 1))]
    let items: AutoloadItem[] = stageDef?.autoloaders ?? a.config.autoloaders ?? (await this.d.autoloaders.list(actor, a.project.name)).find((p) => p.active)?.items ?? []
    if (slot.image) items = [{ pattern: slot.image, viewport: 1, as: 'background', colormap: items[0]?.colormap ?? 'gray', ...(items[0]?.min !== undefined ? { min: items[0].min } : {}), ...(items[0]?.max !== undefined ? { max: items[0].max } : {}) }]
    const out: CaseLoad[] = []
    for (const item of items) {
      let first: { relative: string; path: string } | undefined
      for await (const page of this.d.archive.select(actor, a.project.name, item.pattern, { patientsId: slot.pid, studiesId: slot.sid })) for (const f of page) if ((!slot.image || f.path === slot.image) && (!first || f.path < first.path)) first = f
      if (first) out.push({ item, file: first })
    }
    return out
  }

  /** The grids of the NIfTI images a case shows in its stage (what an ROI drawn on the case must match). */
  async grids(actor: User, a: ReadingScope, slot: StoredSlot): Promise<CaseGrid[]> {
    const dir = this.d.archive.projectDir(a.project)
    const grids: CaseGrid[] = []
    for (const { file } of await this.loads(actor, a, slot, slot.stage))
      if (/\.nii(\.gz)?$/i.test(file.path)) grids.push({ path: file.path, dims: gridOfFields(readNiftiHead(resolveProjectFile(dir, file.relative.split('/')).real, file.path).dim) })
    return grids
  }
}
