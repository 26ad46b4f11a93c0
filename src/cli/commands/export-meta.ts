import { exportMeta } from '../../archive/meta-export'
import { parseKeyPatterns } from '../../archive/meta-keys'
import type { ArchiveCore } from '../../app-archive'
import { UsageError } from '../../core/errors'
import { csvLine } from '../../core/csv'
import { many, one, type ParsedArgs } from '../args'
import { actorOf, type Out } from '../context'

/**
 * `nora -p P --exportmeta PATTERN... [--keys a.b,*.mask.volume]`: the JSON files matching PATTERN in each study as
 * CSV on stdout (one row per study, patient and study columns first). Exit 1 when a file could not be read (it is
 * named on stderr and left out; the rest is written).
 */
export async function exportMetaCommand(s: Pick<ArchiveCore, 'config' | 'repos' | 'archive'>, args: ParsedArgs, io: Out): Promise<number> {
  const project = one(args, 'project')
  if (!project) throw new UsageError('say which project: nora -p PROJECT --exportmeta PATTERN')
  const keys = one(args, 'keys')
  const patterns = keys === undefined ? undefined : parseKeyPatterns(keys)
  const actor = await actorOf(s, args)
  let problems = 0
  const table = await exportMeta({ archive: s.archive, subjects: s.repos.subjects }, actor, project, many(args, 'exportmeta'), patterns, (m) => {
    problems++
    void io.err(`skipped ${m}`)
  })
  await io.out(csvLine(table.header))
  for (const row of table.rows) await io.out(csvLine(row))
  if (!table.rows.length) await io.err(`no study of "${project}" has a JSON file matching ${many(args, 'exportmeta').join(' ')}`)
  return problems ? 1 : 0
}
