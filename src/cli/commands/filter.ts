import type { StudiesService } from '../../archive/filter/studies-service'
import { UsageError } from '../../core/errors'
import { has, one, type ParsedArgs } from '../args'
import { actorOf, type ActorLookup, type Out } from '../context'

/**
 * `nora -p PROJECT --filter "t1_trio*\/s0*.nii & STAG:control" [--json]`: the studies the desktop's file search bar
 * would list. Plain: one `patients_id#studies_id` a line. --json: an array of rows, streamed page by page.
 */
export async function filterCommand(s: ActorLookup & { studies: Pick<StudiesService, 'all'> }, args: ParsedArgs, io: Out): Promise<number> {
  const project = one(args, 'project')
  if (!project) throw new UsageError('say which project: nora -p PROJECT --filter "..."')
  const filter = one(args, 'filter')
  if (filter === undefined) throw new UsageError('give the filter: nora -p PROJECT --filter "t1*/s0*.nii & STAG:control"')
  const actor = await actorOf(s, args)
  const json = has(args, 'json')
  let first = true
  if (json) await io.out('[')
  for await (const rows of s.studies.all(actor, project, { file: filter })) {
    for (const r of rows) {
      if (json) {
        await io.out(`${first ? '' : ','}${JSON.stringify(r)}`)
        first = false
      } else await io.out(`${r.patients_id}#${r.studies_id}`)
    }
  }
  if (json) await io.out(']')
  return 0
}
