import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import type { Rights } from '../auth/rights'
import { NotFoundError, UsageError, ConflictError } from '../core/errors'
import { safeJoin } from '../core/safe-path'
import type { Action, FileEntry, Project, User } from '../core/types'
import type { Repos } from '../store/repos'
import type { FileRow } from '../store/repos/files-repo'
import { checkIdSegment, checkProjectName, projectDir, resolveInside } from './archive-paths'
import { secureProjectDir } from './project-group'
import { checkRelative, filePatternToLike, parseFilePattern, parsePsid, type StudyRef } from './file-pattern'
import { fileTypeOf } from './file-types'
import { ArchiveWriter } from './archive-writer'
import { DEFAULT_POLICY, policyOf, type ProjectPolicy } from './project-policy'
import { checkNaming } from '../dicom/series-naming'

/**
 * The project archive: `data/projects/<project>/<patients_id>/<studies_id>/<series folder>/<file>` on disk,
 * mirrored in the store. Every operation names the acting user and asks `rights.can` first.
 */
export class ArchiveService {
  constructor(
    private readonly dataRoot: string,
    private readonly repos: Pick<Repos, 'projects' | 'subjects' | 'files' | 'tags' | 'rights'>,
    private readonly rights: Rights,
    /** Registers files in one transaction (src/archive/archive-writer.ts); import and uploads write through it too. */
    readonly writer: ArchiveWriter,
  ) {}

  async requireProject(name: string): Promise<Project> {
    const p = await this.repos.projects.byName(name)
    if (!p) throw new NotFoundError(`no project "${name}"; nora --admin projects lists them`)
    return p
  }

  async projectExists(name: string): Promise<boolean> {
    return (await this.repos.projects.byName(name)) !== undefined
  }

  async projectById(id: number): Promise<Project | undefined> {
    return this.repos.projects.byId(id)
  }

  /** Looks up a project and checks the user may do `action` on it. */
  async open(actor: User, name: string, action: Action): Promise<Project> {
    const project = await this.requireProject(name)
    await this.rights.require(actor, action, project)
    return project
  }

  /** Creates a project; its creator becomes its admin. */
  async createProject(actor: User, name: string, description = '', policy: ProjectPolicy = DEFAULT_POLICY): Promise<Project> {
    checkProjectName(name)
    if (await this.repos.projects.byName(name)) throw new ConflictError(`project "${name}" exists already`)
    const project = await this.repos.projects.create(name, description)
    await this.repos.projects.saveSettings(project.id, { policy })
    mkdirSync(projectDir(this.dataRoot, name), { recursive: true })
    secureProjectDir(projectDir(this.dataRoot, name), name) // its own group (2770) as root; closed to others
    if (!actor.isSiteAdmin) await this.repos.rights.grant(actor.id, project.id, 'admin')
    return project
  }

  /** Counts and the caller's role, for the desktop header. */
  async summary(actor: User, name: string): Promise<{ name: string; description: string; role: string; canWrite: boolean; subjects: number; studies: number; files: number }> {
    const project = await this.open(actor, name, 'read')
    const role = actor.isSiteAdmin ? 'site admin' : ((await this.repos.rights.roleOf(actor.id, project.id)) ?? 'none')
    const canWrite = await this.rights.can(actor, 'write', project)
    return { name: project.name, description: project.description, role, canWrite, ...(await this.repos.subjects.counts(project.id)) }
  }

  async policy(project: Project): Promise<ProjectPolicy> {
    return policyOf(await this.repos.projects.settings(project.id))
  }

  /** Changes the import policy (project admins). Data imported before keeps the form it was imported in. */
  async updatePolicy(actor: User, name: string, patch: Partial<ProjectPolicy>): Promise<ProjectPolicy> {
    const project = await this.open(actor, name, 'admin')
    if (patch.naming !== undefined) checkNaming(patch.naming)
    const settings = await this.repos.projects.settings(project.id)
    const policy = { ...policyOf(settings), ...patch }
    await this.repos.projects.saveSettings(project.id, { ...settings, policy })
    return policy
  }

  projectDir(project: Project): string {
    return projectDir(this.dataRoot, project.name)
  }

  /**
   * Registers files that lie inside the project folder (`<pid>/<sid>/<path>`), creating subject and study when
   * new. A path outside the project, or leaving it through `..` or a symlink, is refused before anything is written;
   * the files of one study are registered in one transaction, with their image headers (files.meta).
   */
  async addFiles(actor: User, projectName: string, paths: string[], tags: string[] = [], warn: (m: string) => void = () => {}): Promise<FileEntry[]> {
    const project = await this.open(actor, projectName, 'write')
    const root = this.projectDir(project)
    const byStudy = new Map<string, { patientsId: string; studiesId: string; files: { rel: string; abs: string; at: number }[] }>()
    for (const [at, p] of paths.entries()) {
      const real = resolveInside(root, p, 'file')
      if (!existsSync(real) || !statSync(real).isFile()) throw new NotFoundError(`file ${p} does not exist (or is not a regular file)`)
      const parts = relative(root, real).split('/')
      if (parts.length < 3) throw new UsageError(`file ${p} must lie in a study folder: ${root}/PATIENTS_ID/STUDIES_ID/...`)
      const [pid, sid, ...rest] = parts as [string, string, ...string[]]
      checkIdSegment(pid, 'patients_id')
      checkIdSegment(sid, 'studies_id')
      const key = `${pid}#${sid}`
      if (!byStudy.has(key)) byStudy.set(key, { patientsId: pid, studiesId: sid, files: [] })
      byStudy.get(key)!.files.push({ rel: rest.join('/'), abs: real, at })
    }
    const added: FileEntry[] = []
    for (const study of byStudy.values()) {
      const { ids } = await this.writer.register(project, study, study.files, { headers: true, warn })
      for (const [i, f] of study.files.entries()) {
        const id = ids[i]!
        if (tags.length) await this.repos.tags.add('file', [id], tags)
        added[f.at] = this.entry(project, { id, path: f.rel, size: statSync(f.abs).size, patients_id: study.patientsId, studies_id: study.studiesId, tags: await this.repos.tags.of('file', id) })
      }
    }
    return added.filter(Boolean)
  }

  /** Deletes registered files from the store and the disk. */
  async deleteFiles(actor: User, projectName: string, paths: string[]): Promise<number> {
    const project = await this.open(actor, projectName, 'write')
    const root = this.projectDir(project)
    let n = 0
    for (const p of paths) {
      const real = resolveInside(root, p, 'file')
      const [pid, sid, ...rest] = relative(root, real).split('/')
      const subject = pid ? await this.repos.subjects.subject(project.id, pid) : undefined
      const study = subject && sid ? await this.repos.subjects.study(subject.id, sid) : undefined
      const id = study ? await this.repos.files.idOf(study.id, rest.join('/')) : undefined
      if (id === undefined) throw new NotFoundError(`file ${p} is not registered in project "${project.name}"`)
      await this.repos.files.delete(id)
      rmSync(real, { force: true })
      n++
    }
    return n
  }

  /**
   * Deletes subjects (`PID`) or studies (`PID#SID`) from the store; their folders move to data/trash so that a
   * slip of the keyboard can be undone by hand.
   */
  async deletePatients(actor: User, projectName: string, psids: string[]): Promise<string[]> {
    const project = await this.open(actor, projectName, 'write')
    const targets = []
    for (const psid of psids) {
      const { patientsId, studiesId } = parsePsid(psid)
      const subject = await this.repos.subjects.subject(project.id, patientsId)
      if (!subject) throw new NotFoundError(`no subject "${patientsId}" in project "${project.name}"`)
      const study = studiesId === undefined ? undefined : await this.repos.subjects.study(subject.id, studiesId)
      if (studiesId !== undefined && !study) throw new NotFoundError(`no study "${patientsId}#${studiesId}" in project "${project.name}"`)
      targets.push({ psid, subject, study })
    }
    const trash = join(this.dataRoot, 'trash', project.name, new Date().toISOString().replace(/[:.]/g, '-'))
    for (const t of targets) {
      // Ids come from the database: joined only by safeJoin, so that no id moves more than its own folder.
      const segments = t.study ? [t.subject.patientsId, t.study.studiesId] : [t.subject.patientsId]
      const from = safeJoin(this.projectDir(project), ...segments)
      const to = safeJoin(trash, ...segments)
      if (t.study) await this.repos.subjects.deleteStudy(t.study.id)
      else await this.repos.subjects.deleteSubject(t.subject.id)
      if (existsSync(from)) {
        mkdirSync(dirname(to), { recursive: true })
        renameSync(from, to)
      }
    }
    return targets.map((t) => t.psid)
  }

  /** Files matching a seed file pattern (optionally `PID#SID/` first, or a separate study reference), page by page. */
  async *select(actor: User, projectName: string, pattern: string, ref: StudyRef = {}): AsyncGenerator<FileEntry[]> {
    const project = await this.open(actor, projectName, 'read')
    const parsed = parseFilePattern(pattern)
    const query = {
      projectId: project.id,
      pathLike: filePatternToLike(parsed.path),
      patientsId: parsed.patientsId ?? ref.patientsId,
      studiesId: parsed.studiesId ?? ref.studiesId,
    }
    for await (const page of this.repos.files.select(query)) yield page.map((r) => this.entry(project, r))
  }

  async tagFiles(actor: User, projectName: string, pattern: string, tags: string[], remove = false): Promise<number> {
    await this.open(actor, projectName, 'write')
    let n = 0
    for await (const page of this.select(actor, projectName, pattern)) {
      const ids = page.map((f) => f.id)
      n += remove ? await this.repos.tags.remove('file', ids, tags) : await this.repos.tags.add('file', ids, tags)
    }
    return n
  }

  /**
   * `--out`: the absolute path an output file gets, from `PID#SID/subfolder/name` (or a separate study reference).
   * No wildcards: an output names one file. `--pathout` gives the folder, with a trailing slash.
   */
  async outputPath(actor: User, projectName: string, pattern: string, ref: StudyRef = {}, folder = false): Promise<string> {
    const project = await this.open(actor, projectName, 'read')
    const parsed = parseFilePattern(pattern)
    const pid = parsed.patientsId ?? ref.patientsId
    const sid = parsed.studiesId ?? ref.studiesId
    if (!pid || !sid) throw new UsageError(`"${pattern}": say which study: PATIENTS_ID#STUDIES_ID/${parsed.path} (or --psid PID#SID)`)
    checkIdSegment(pid, 'patients_id')
    checkIdSegment(sid, 'studies_id')
    checkRelative(parsed.path, 'output name')
    if (/[*?]/.test(parsed.path)) throw new UsageError(`output name "${parsed.path}" must not contain wildcards`)
    const abs = join(this.projectDir(project), pid, sid, parsed.path)
    return folder ? `${abs}/` : abs
  }

  private entry(project: Project, r: FileRow): FileEntry {
    const relativePath = `${r.patients_id}/${r.studies_id}/${r.path}`
    return {
      id: r.id,
      project: project.name,
      patients_id: r.patients_id,
      studies_id: r.studies_id,
      path: r.path,
      relative: relativePath,
      absolute: join(this.projectDir(project), relativePath),
      size: r.size,
      tags: r.tags,
    }
  }
}
