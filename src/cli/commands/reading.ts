import type { ArchiveCore } from '../../app-archive'
import { AutoloadersService } from '../../archive/autoloaders'
import { StudiesService } from '../../archive/filter/studies-service'
import { TagsService } from '../../archive/tags-service'
import { UsageError } from '../../core/errors'
import { ReadingService } from '../../reading/reading-service'
import { ResultRois } from '../../reading/result-rois'
import { has, one, type ParsedArgs } from '../args'
import { actorOf, type Out } from '../context'

/**
 * `nora -p PROJECT --reading ID --csv`: a reading's results as CSV on stdout (the same rows as the results list's
 * download: reading admins get every reader's, readers their own). `--json`: the results as a JSON array.
 */
export async function readingCommand(s: ArchiveCore, args: ParsedArgs, io: Out): Promise<number> {
  const project = one(args, 'project')
  if (!project) throw new UsageError('say which project: nora -p PROJECT --reading ID --csv')
  const raw = one(args, 'reading') ?? ''
  const id = Number(raw)
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(id) || id < 1) throw new UsageError(`--reading takes the reading's id (a number, as the readings list shows it), not "${raw}"`)
  if (has(args, 'csv') === has(args, 'json')) throw new UsageError('say what to print: --csv (the results as CSV) or --json (as JSON)')
  const actor = await actorOf(s, args)
  const readings = new ReadingService({
    repos: s.repos,
    archive: s.archive,
    rights: s.rights,
    studies: new StudiesService(s.db, s.archive),
    tags: new TagsService(s.repos, s.archive),
    autoloaders: new AutoloadersService(s.repos, s.archive),
    rois: new ResultRois({ repo: s.repos.readingRois, dataRoot: s.config.dataRoot }),
  })
  if (has(args, 'json')) {
    await io.out(JSON.stringify(await readings.results(actor, project, id)))
    return 0
  }
  const { csv } = await readings.csv(actor, project, id)
  await io.out(csv.replace(/\r\n$/, ''))
  return 0
}
