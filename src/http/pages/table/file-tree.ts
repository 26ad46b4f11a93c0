import type { ArchiveService } from '../../../archive/archive-service'
import { fileUrl } from '../../../archive/autoloaders'
import { fileTypeOf } from '../../../archive/file-types'
import type { Rights } from '../../../auth/rights'
import type { FileEntry, User } from '../../../core/types'

/** What a study's file tree needs: the study's files and the write right (for tags). */
export interface FileTreeDeps {
  archive: Pick<ArchiveService, 'select' | 'requireProject'>
  rights: Pick<Rights, 'can'>
}

/** `1536` -> `1.5 KB`. */
export function showSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let n = bytes / 1024
  let u = 0
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024
    u++
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[u]}`
}

/** Short badges for the file types the table shows (text, not icons). */
const BADGES: Record<string, string> = { nifti: 'NII', json: 'JSON', dicom: 'DCM', nrrd: 'NRRD', mgh: 'MGH', gifti: 'GII', bval: 'BVAL', bvec: 'BVEC', text: 'TXT', csv: 'CSV', archive: 'ZIP' }

/** One study's files (through ArchiveService.select, which checks the read right), grouped by series folder. */
export async function fileTreeView(deps: FileTreeDeps, user: User, project: string, pid: string, sid: string) {
  const files: FileEntry[] = []
  for await (const page of deps.archive.select(user, project, '*', { patientsId: pid, studiesId: sid })) files.push(...page)
  const canWrite = await deps.rights.can(user, 'write', await deps.archive.requireProject(project))
  const folders = new Map<string, FileEntry[]>()
  for (const f of files) {
    const slash = f.path.lastIndexOf('/')
    const folder = slash < 0 ? '' : f.path.slice(0, slash)
    folders.set(folder, [...(folders.get(folder) ?? []), f])
  }
  const series = [...folders.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([folder, entries]) => ({
      folder: folder || '(study folder)',
      countLine: entries.length === 1 ? '1 file' : `${entries.length} files`,
      size: showSize(entries.reduce((s, f) => s + f.size, 0)),
      files: entries
        .sort((a, b) => a.path.localeCompare(b.path))
        .map((f) => {
          const type = fileTypeOf(f.path)
          return {
            name: f.path.slice(f.path.lastIndexOf('/') + 1),
            path: f.relative,
            type,
            badge: BADGES[type] ?? type.toUpperCase().slice(0, 4),
            size: showSize(f.size),
            bytes: f.size,
            tags: f.tags.map((tag) => ({ tag, target: 'file', item: f.relative, canWrite })),
            url: fileUrl(project, f.relative),
          }
        }),
    }))
  return { project, canWrite, psid: `${pid}#${sid}`, series, empty: files.length === 0, filesLine: files.length === 1 ? '1 file' : `${files.length} files`, seriesCount: series.length }
}
