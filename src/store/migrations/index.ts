import type { Dialect } from '../db'
import { m001Init } from './001-init'
import { m002Imports } from './002-imports'
import { m003Jobs } from './003-jobs'
import { m004PacsPulls } from './004-pacs-pulls'
import { m005BatchLibrary } from './005-batch-library'
import { m006Autoloaders } from './006-autoloaders'
import { m007TableIndexes } from './007-table-indexes'
import { m008RunTokens } from './008-run-tokens'
import { m009Credentials } from './009-credentials'
import { m010FileNames } from './010-file-names'
import { m011AuditAndUserSettings } from './011-audit-and-user-settings'
import { m012Readings } from './012-readings'
import { m013SharedLinks } from './013-shared-links'
import { m014NotificationsAndSiteSettings } from './014-notifications-and-site-settings'
import { m015ReadingResultRois } from './015-reading-result-rois'

/**
 * A migration is written once for both dialects. Column types use these tokens, which each
 * dialect spells its own way:
 *   {pk}       auto-increment integer primary key
 *   {text}     unbounded text;   {longtext} large text (JSON, batches)
 *   {table}    the table options (MySQL: InnoDB, utf8mb4)
 *   {bin}      after a VARCHAR that names things (paths, ids, tags): compare byte by byte, as SQLite does,
 *              so that `T1.nii` and `t1.nii` are two files on MySQL too
 *   {path_file_name}  the part of the column `path` after its last `/` (all of it without one)
 * Migrations are never edited once landed; add a new number instead.
 */
export interface Migration {
  id: number
  name: string
  statements: string[]
}

export const migrations: Migration[] = [m001Init, m002Imports, m003Jobs, m004PacsPulls, m005BatchLibrary, m006Autoloaders, m007TableIndexes, m008RunTokens, m009Credentials, m010FileNames, m011AuditAndUserSettings, m012Readings, m013SharedLinks, m014NotificationsAndSiteSettings, m015ReadingResultRois]

const TOKENS: Record<Dialect, Record<string, string>> = {
  sqlite: {
    pk: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    text: 'TEXT',
    longtext: 'TEXT',
    table: '',
    bin: '',
    // rtrim drops every trailing character but '/': what is left is the folder part, up to its last '/'.
    path_file_name: "substr(path, length(rtrim(path, replace(path, '/', ''))) + 1)",
  },
  mysql: {
    pk: 'BIGINT PRIMARY KEY AUTO_INCREMENT',
    text: 'TEXT',
    longtext: 'LONGTEXT',
    bin: 'COLLATE utf8mb4_bin',
    path_file_name: "SUBSTRING_INDEX(path, '/', -1)",
    table: 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci',
  },
}

export function renderStatement(sql: string, dialect: Dialect): string {
  return sql.replace(/\{(\w+)\}/g, (whole, name: string) => TOKENS[dialect][name] ?? whole)
}
