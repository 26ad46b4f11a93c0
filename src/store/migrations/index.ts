import type { Dialect } from '../db'
import { m001Init } from './001-init'
import { m002Imports } from './002-imports'
import { m003Jobs } from './003-jobs'
import { m004PacsPulls } from './004-pacs-pulls'
import { m005BatchLibrary } from './005-batch-library'
import { m006Autoloaders } from './006-autoloaders'
import { m007TableIndexes } from './007-table-indexes'

/**
 * A migration is written once for both dialects. Column types use these tokens, which each
 * dialect spells its own way:
 *   {pk}       auto-increment integer primary key
 *   {text}     unbounded text;   {longtext} large text (JSON, batches)
 *   {table}    the table options (MySQL: InnoDB, utf8mb4)
 *   {bin}      after a VARCHAR that names things (paths, ids, tags): compare byte by byte, as SQLite does,
 *              so that `T1.nii` and `t1.nii` are two files on MySQL too
 * Migrations are never edited once landed; add a new number instead.
 */
export interface Migration {
  id: number
  name: string
  statements: string[]
}

export const migrations: Migration[] = [m001Init, m002Imports, m003Jobs, m004PacsPulls, m005BatchLibrary, m006Autoloaders, m007TableIndexes]

const TOKENS: Record<Dialect, Record<string, string>> = {
  sqlite: { pk: 'INTEGER PRIMARY KEY AUTOINCREMENT', text: 'TEXT', longtext: 'TEXT', table: '', bin: '' },
  mysql: {
    pk: 'BIGINT PRIMARY KEY AUTO_INCREMENT',
    text: 'TEXT',
    longtext: 'LONGTEXT',
    bin: 'COLLATE utf8mb4_bin',
    table: 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci',
  },
}

export function renderStatement(sql: string, dialect: Dialect): string {
  return sql.replace(/\{(\w+)\}/g, (whole, name: string) => TOKENS[dialect][name] ?? whole)
}
