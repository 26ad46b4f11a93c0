import { NotFoundError, UsageError } from '../core/errors'
import type { User } from '../core/types'
import type { Repos } from '../store/repos'
import type { TagTarget } from '../store/repos/tags-repo'
import type { ArchiveService } from './archive-service'
import { parsePsid } from './file-pattern'

export type { TagTarget }
export const TAG_TARGETS: readonly TagTarget[] = ['subject', 'study', 'file']

/** Letters, digits and `_ - . + = @`, 1-64 characters: a tag must survive the filter bars (no spaces, `&`, `*`, `:`) and `--addtag t1,t2`. */
const TAG = /^[\p{L}\p{N}_.+=@-]{1,64}$/u

export function checkTag(tag: string): void {
  if (!TAG.test(tag))
    throw new UsageError(`tag "${tag.slice(0, 80)}": use 1-64 letters, digits, "_", "-", ".", "+", "=" or "@" (no spaces, commas, "&", "*", ":" or quotes)`)
}

export interface TagRequest {
  target: TagTarget
  /**
   * What to tag: `subject`: patients_ids; `study`: `PID#SID`; `file`: paths relative to the project
   * (`PID/SID/series/file`, as the file tree's `data-path`).
   */
  items: string[]
  tag: string
}

/** Tags on subjects, studies and files from the desktop's context menu: checks the write right and every name first. */
export class TagsService {
  constructor(
    private readonly repos: Pick<Repos, 'subjects' | 'files' | 'tags'>,
    private readonly archive: Pick<ArchiveService, 'open'>,
  ) {}

  /** Adds (or with `remove`, removes) one tag on each item; all items must exist. Returns how many changed. */
  async apply(actor: User, projectName: string, req: TagRequest, remove = false): Promise<{ changed: number; ids: number[] }> {
    if (!TAG_TARGETS.includes(req.target)) throw new UsageError(`target must be subject, study or file, not "${String(req.target)}"`)
    checkTag(req.tag)
    if (!req.items.length) throw new UsageError('say what to tag: give at least one patients_id, PID#SID or file path')
    if (req.items.length > 10_000) throw new UsageError('at most 10000 items at once')
    const project = await this.archive.open(actor, projectName, 'write')
    const ids: number[] = []
    for (const item of req.items) ids.push(await this.idOf(project.id, project.name, req.target, item))
    const changed = remove ? await this.repos.tags.remove(req.target, ids, [req.tag]) : await this.repos.tags.add(req.target, ids, [req.tag])
    return { changed, ids }
  }

  private async idOf(projectId: number, projectName: string, target: TagTarget, item: string): Promise<number> {
    if (typeof item !== 'string' || !item) throw new UsageError('an empty item cannot be tagged')
    const missing = () => new NotFoundError(`no ${target} "${item.slice(0, 200)}" in project "${projectName}"`)
    if (target === 'subject') {
      const s = await this.repos.subjects.subject(projectId, item)
      if (!s) throw missing()
      return s.id
    }
    let pid: string, sid: string | undefined, path: string | undefined
    if (target === 'study') ({ patientsId: pid, studiesId: sid } = parsePsid(item))
    else {
      const parts = item.split('/')
      if (parts.length < 3) throw new UsageError(`file "${item.slice(0, 200)}": give its path as PATIENTS_ID/STUDIES_ID/folder/file`)
      ;[pid, sid] = parts as [string, string]
      path = parts.slice(2).join('/')
    }
    if (!sid) throw new UsageError(`"${item.slice(0, 200)}" names a subject; a study is PATIENTS_ID#STUDIES_ID`)
    const subject = await this.repos.subjects.subject(projectId, pid)
    const study = subject && (await this.repos.subjects.study(subject.id, sid))
    if (!study) throw missing()
    if (target === 'study') return study.id
    const id = await this.repos.files.idOf(study.id, path!)
    if (id === undefined) throw missing()
    return id
  }
}
