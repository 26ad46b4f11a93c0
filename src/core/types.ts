/** Domain types shared by services, the store and the interfaces. */
/** A user's role on a project, lowest first: `jobs` is write plus running batch jobs; `admin` has both. */
export type Role = 'read' | 'write' | 'jobs' | 'admin'
export const ROLES: readonly Role[] = ['read', 'write', 'jobs', 'admin']

export interface Project {
  id: number
  name: string
  description: string
  createdAt: number
}

export interface User {
  id: number
  username: string
  displayName: string
  email: string
  isSiteAdmin: boolean
  source: 'local' | 'ldap'
  disabled: boolean
  createdAt: number
  /**
   * Set when the user acts through a job's run token: the rights are those of `role` on project `projectId` and
   * nothing else (no site admin, no other project).
   */
  scope?: { projectId: number; role: Role }
  /** The user's styling theme (their saved preference; none: the default, dark), set for signed-in browsers. */
  theme?: Theme
}

export const THEMES = ['dark', 'light'] as const
export type Theme = (typeof THEMES)[number]

export interface Subject {
  id: number
  projectId: number
  patientsId: string
  name: string
  birthDate: string
  sex: string
}

export interface Study {
  id: number
  projectId: number
  subjectId: number
  studiesId: string
  studyDate: string
  description: string
  modality: string
  studyUid: string
}

/** One file in the archive as `--select --json` reports it. */
export interface FileEntry {
  id: number
  project: string
  patients_id: string
  studies_id: string
  /** Relative to the study folder: series folder / file name. */
  path: string
  /** Relative to the project folder: patients_id/studies_id/path. */
  relative: string
  absolute: string
  size: number
  tags: string[]
}

/** What a user may do on a project (`jobs`: launch batch jobs). */
export type Action = 'read' | 'write' | 'jobs' | 'admin'

/**
 * What a finished import reports to `onImported` (ImportService -> autoexecution, wired in app.ts): the studies that
 * got new or changed series. Here because importer and jobs are peers that never import each other.
 */
export interface ImportedStudies {
  importId: number
  project: Project
  userId: number | null
  psids: string[]
  autoexecQueue?: string
}
