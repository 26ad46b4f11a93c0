import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ForbiddenError, UsageError } from '../core/errors'
import { safeJoin } from '../core/safe-path'
import type { Project, User } from '../core/types'
import type { Repos } from '../store/repos'
import type { ArchiveService } from './archive-service'
import { projectDir } from './archive-paths'

/** How a fork holds the data: `share` hard-links every file (no space used; a file changed in place changes in both), `copy` copies it. */
export type ForkMode = 'share' | 'copy'

/**
 * What the admin pages do to whole projects beyond creating them (ArchiveService.createProject): describe, delete to
 * the trash (data/trash/<project>/<time>-project, by hand restorable), and fork (the seed's "Fork Project"): a new
 * project with the same subjects, studies, files, tags and import policy, its files shared (hard links) or copied.
 */
export class ProjectAdmin {
  constructor(
    private readonly d: {
      dataRoot: string
      archive: Pick<ArchiveService, 'open' | 'createProject' | 'requireProject'>
      repos: Pick<Repos, 'projects' | 'projectFork' | 'rights'>
      /**
       * What else goes to the trash with a project, before its rows are deleted (app wires it: the readings' ROI
       * folders). `dest(what)` is the trash folder beside the project's: data/trash/<project>/<time>-<what>.
       */
      onTrash?: (project: Project, dest: (what: string) => string) => Promise<unknown>
    },
  ) {}

  /** Every project with who holds which right on it (site admins: the admin page). */
  async list(actor: User): Promise<(Project & { rights: { username: string; role: string }[] })[]> {
    if (!actor.isSiteAdmin) throw new ForbiddenError('only site admins list every project')
    const out = []
    for (const p of await this.d.repos.projects.list()) out.push({ ...p, rights: await this.d.repos.rights.forProject(p.id) })
    return out
  }

  async describe(actor: User, name: string, description: string): Promise<Project> {
    const project = await this.d.archive.open(actor, name, 'admin')
    if (description.length > 2000) throw new UsageError('a description has at most 2000 characters')
    await this.d.repos.projects.setDescription(project.id, description)
    return { ...project, description }
  }

  /**
   * Deletes a project (site admins): its folder moves to data/trash (with what `onTrash` moves beside it), its rows
   * go. Returns where the folder went.
   */
  async trash(actor: User, name: string): Promise<string> {
    if (!actor.isSiteAdmin) throw new ForbiddenError('only site admins delete projects')
    const project = await this.d.archive.requireProject(name)
    const from = projectDir(this.d.dataRoot, project.name)
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    const dest = (what: string) => safeJoin(join(this.d.dataRoot, 'trash'), project.name, `${stamp}-${what}`)
    const to = dest('project')
    await this.d.onTrash?.(project, dest)
    if (existsSync(from)) {
      mkdirSync(join(to, '..'), { recursive: true })
      renameSync(from, to)
    }
    await this.d.repos.projects.delete(project.id)
    return to
  }

  /**
   * Forks `source` into a new project `target`: a copy needs read on the source, sharing its files needs write (a
   * shared file changed in the fork changes in the source). The caller becomes the fork's admin unless they are a
   * site admin. A failure part way removes the half-made fork.
   */
  async fork(actor: User, source: string, target: string, mode: ForkMode, description?: string): Promise<{ project: Project; subjects: number; studies: number; files: number }> {
    if (mode !== 'share' && mode !== 'copy') throw new UsageError(`fork mode "${mode}": say share or copy`)
    const from = await this.d.archive.open(actor, source, mode === 'share' ? 'write' : 'read')
    const settings = await this.d.repos.projects.settings(from.id)
    const project = await this.d.archive.createProject(actor, target, description ?? `fork of ${from.name}${from.description ? `: ${from.description}` : ''}`)
    const dir = projectDir(this.d.dataRoot, project.name)
    try {
      await this.d.repos.projects.saveSettings(project.id, settings)
      copyTree(projectDir(this.d.dataRoot, from.name), dir, mode)
      const rows = await this.d.repos.projectFork.copyRows(from.id, project.id)
      return { project, ...rows }
    } catch (e) {
      await this.d.repos.projects.delete(project.id).catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
      throw e
    }
  }
}

/** Copies (or hard-links) the regular files under `from` into `to`, folders made as needed; symlinks are not followed. */
function copyTree(from: string, to: string, mode: ForkMode): void {
  if (!existsSync(from)) return
  mkdirSync(to, { recursive: true })
  for (const name of readdirSync(from)) {
    const src = safeJoin(from, name)
    const dst = safeJoin(to, name)
    const st = lstatSync(src)
    if (st.isDirectory()) copyTree(src, dst, mode)
    else if (st.isFile()) {
      if (mode === 'copy') copyFileSync(src, dst)
      else linkSync(src, dst)
    }
  }
}
