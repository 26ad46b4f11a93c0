import { ForbiddenError } from '../core/errors'
import type { Action, Project, Role, User } from '../core/types'
import type { ProjectsRepo } from '../store/repos/projects-repo'
import type { RightsRepo } from '../store/repos/rights-repo'

const RANK: Record<Role, number> = { read: 1, write: 2, jobs: 3, admin: 4 }

/** The rule itself, without I/O: site admins may do anything; others need a role at least as high as the action. */
export function roleAllows(user: User, role: Role | undefined, action: Action): boolean {
  if (user.disabled) return false
  if (user.scope) return role !== undefined && RANK[role] >= RANK[action]
  if (user.isSiteAdmin) return true
  return role !== undefined && RANK[role] >= RANK[action]
}

/** `can(user, action, project)` is the one place that decides; every page, API and CLI command asks it. */
export class Rights {
  constructor(private readonly repos: { rights: RightsRepo; projects: ProjectsRepo }) {}

  async can(user: User, action: Action, project: Project): Promise<boolean> {
    // A run token's user: its one project, at its role (never more than the user's own role when the run began).
    if (user.scope) return project.id === user.scope.projectId && roleAllows(user, user.scope.role, action)
    if (user.isSiteAdmin && !user.disabled) return true
    return roleAllows(user, await this.repos.rights.roleOf(user.id, project.id), action)
  }

  async require(user: User, action: Action, project: Project): Promise<void> {
    if (!(await this.can(user, action, project))) {
      const verb = action === 'jobs' ? 'run jobs on' : action
      if (user.scope) throw new ForbiddenError(`a job's run token reads and writes its own project only: it may not ${verb} project "${project.name}"`)
      throw new ForbiddenError(
        `user "${user.username}" may not ${verb} project "${project.name}"; a project admin can allow it with: nora --admin grant ${user.username} ${project.name} ${action}`,
      )
    }
  }

  /** The projects a user may see. */
  async visibleProjects(user: User): Promise<Project[]> {
    if (user.disabled) return []
    if (user.scope) return (await this.repos.projects.list()).filter((p) => p.id === user.scope!.projectId)
    return user.isSiteAdmin ? this.repos.projects.list() : this.repos.projects.listForUser(user.id)
  }
}
