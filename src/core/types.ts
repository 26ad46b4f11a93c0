/** Domain types shared by services, the store and the interfaces. */
export type Role = 'read' | 'write' | 'admin'
export const ROLES: readonly Role[] = ['read', 'write', 'admin']

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
}

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

/** What a user may do on a project. */
export type Action = 'read' | 'write' | 'admin'
