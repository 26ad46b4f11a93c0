import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteDb } from '../../../src/store/sqlite-db'
import { describeStore } from './describe-store'

let dir: string | undefined

describeStore(
  'sqlite',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'nora-store-'))
    return SqliteDb.open(join(dir, 'nora.db'))
  },
  async () => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  },
)
