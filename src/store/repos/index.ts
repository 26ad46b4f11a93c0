import type { Db } from '../db'
import { AutoloadersRepo } from './autoloaders-repo'
import { BatchLibraryRepo } from './batch-library-repo'
import { GridstatsRepo } from './gridstats-repo'
import { DicomRepo } from './dicom-repo'
import { FilesRepo } from './files-repo'
import { ImportsRepo } from './imports-repo'
import { JobsRepo } from './jobs-repo'
import { LoginFailuresRepo } from './login-failures-repo'
import { ProjectsRepo } from './projects-repo'
import { PseudonymsRepo } from './pseudonyms-repo'
import { RightsRepo } from './rights-repo'
import { RunTokensRepo } from './run-tokens-repo'
import { SessionsRepo } from './sessions-repo'
import { SubjectsRepo } from './subjects-repo'
import { TagsRepo } from './tags-repo'
import { TokensRepo } from './tokens-repo'
import { UsersRepo } from './users-repo'
import { PullsRepo } from './pulls-repo'
import { AuditRepo } from './audit-repo'
import { UserSettingsRepo } from './user-settings-repo'
import { ReadingsRepo } from './readings-repo'
import { ReadingRoisRepo } from './reading-rois-repo'
import { NotificationsRepo } from './notifications-repo'
import { SiteSettingsRepo } from './site-settings-repo'
import { ProjectForkRepo } from './project-fork-repo'

export interface Repos {
  projects: ProjectsRepo
  users: UsersRepo
  rights: RightsRepo
  sessions: SessionsRepo
  tokens: TokensRepo
  loginFailures: LoginFailuresRepo
  subjects: SubjectsRepo
  files: FilesRepo
  tags: TagsRepo
  imports: ImportsRepo
  dicom: DicomRepo
  pseudonyms: PseudonymsRepo
  jobs: JobsRepo
  pulls: PullsRepo
  autoloaders: AutoloadersRepo
  batchLibrary: BatchLibraryRepo
  gridstats: GridstatsRepo
  runTokens: RunTokensRepo
  audit: AuditRepo
  userSettings: UserSettingsRepo
  readings: ReadingsRepo
  readingRois: ReadingRoisRepo
  notifications: NotificationsRepo
  siteSettings: SiteSettingsRepo
  projectFork: ProjectForkRepo
}

export function createRepos(db: Db): Repos {
  return {
    projects: new ProjectsRepo(db),
    users: new UsersRepo(db),
    rights: new RightsRepo(db),
    sessions: new SessionsRepo(db),
    tokens: new TokensRepo(db),
    loginFailures: new LoginFailuresRepo(db),
    subjects: new SubjectsRepo(db),
    files: new FilesRepo(db),
    tags: new TagsRepo(db),
    imports: new ImportsRepo(db),
    dicom: new DicomRepo(db),
    pseudonyms: new PseudonymsRepo(db),
    jobs: new JobsRepo(db),
    pulls: new PullsRepo(db),
    autoloaders: new AutoloadersRepo(db),
    batchLibrary: new BatchLibraryRepo(db),
    gridstats: new GridstatsRepo(db),
    runTokens: new RunTokensRepo(db),
    audit: new AuditRepo(db),
    userSettings: new UserSettingsRepo(db),
    readings: new ReadingsRepo(db),
    readingRois: new ReadingRoisRepo(db),
    notifications: new NotificationsRepo(db),
    siteSettings: new SiteSettingsRepo(db),
    projectFork: new ProjectForkRepo(db),
  }
}
