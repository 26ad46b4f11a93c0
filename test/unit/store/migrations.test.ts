import { describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { migrations, renderStatement } from '../../../src/store/migrations'

describe('migrations', () => {
  test('are numbered 1, 2, 3, ... without gaps or duplicates, each with a name and statements', () => {
    const ids = migrations.map((m) => m.id)
    expect(ids).toEqual(ids.map((_, i) => i + 1))
    for (const m of migrations) {
      expect(m.name).toMatch(/^[a-z0-9-]+$/)
      expect(m.statements.length).toBeGreaterThan(0)
    }
  })

  test('leave no unknown {token} behind in either dialect', () => {
    for (const m of migrations)
      for (const sql of m.statements) for (const d of ['sqlite', 'mysql'] as const) expect(renderStatement(sql, d)).not.toMatch(/\{\w+\}/)
  })

  test('render to SQL that SQLite accepts, in order', () => {
    const db = new Database(':memory:')
    for (const m of migrations) for (const sql of m.statements) db.exec(renderStatement(sql, 'sqlite'))
    const tables = (db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name)
    expect(tables).toEqual(expect.arrayContaining(['projects', 'users', 'rights', 'sessions', 'api_tokens', 'subjects', 'studies', 'files', 'file_tags']))
  })

  test('tokens get each dialect\'s spelling', () => {
    expect(renderStatement('CREATE TABLE t (id {pk}, x {longtext}) {table}', 'sqlite')).toBe('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT) ')
    const mysql = renderStatement('CREATE TABLE t (id {pk}, x {longtext}) {table}', 'mysql')
    expect(mysql).toContain('BIGINT PRIMARY KEY AUTO_INCREMENT')
    expect(mysql).toContain('LONGTEXT')
    expect(mysql).toContain('ENGINE=InnoDB')
    expect(renderStatement('{unknown}', 'sqlite')).toBe('{unknown}')
  })
})
