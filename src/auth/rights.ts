import { ForbiddenError } from '../core/errors'
import type { Action, Project, Role, User } from '../core/types'
import type { ProjectsRepo } from '../store/repos/projects-repo'
import type { RightsRepo } from '../store/repos/rights-repo'

const RANK: Record<Role, number> = { read: 1, write: 2, admin: 3 }

/** The rule itself, without I/O: site admins may do anything; others need a role at least as high as the action. */
export function roleAllows(user: User, role: Role | undefined, action: Action): boolean {
  if (user.disabled) return false
  if (user.isSiteAdmin) return true
  return role !== undefined && RANK[role] >= RANK[action]
}

/** `can(user, action, project)` is the one place that decides; every page, API and CLI command asks it. */
export class Rights {
  constructor(private readonly repos: { rights: RightsRepo; projects: ProjectsRepo }) {}

  async can(user: User, action: Action, project: Project): Promise<boolean> {
    if (user.isSiteAdmin && !user.disabled) return true
    return roleAllows(user, await this.repos.rights.roleOf(user.id, project.id), action)
  }

  async require(user: User, action: Action, project: Project): Promise<void> {
    if (!(await this.can(user, action, project)))
      throw new ForbiddenError(
        `user "${user.username}" may not ${action} project "${project.name}"; a project admin can allow it with: nora --admin grant ${user.username} ${project.name} ${action}`,
      )
  }

  /** The projects a user may see. */
  async visibleProjects(user: User): Promise<Project[]> {
    if (user.disabled) return []
    return user.isSiteAdmin ? this.repos.projects.list() : this.repos.projects.listForUser(user.id)
  }
}
