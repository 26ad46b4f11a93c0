import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Services } from '../../app'
import { NotFoundError, UsageError } from '../../core/errors'
import { has, one, tagsOf, type ParsedArgs } from '../args'
import { actorOf, type Out } from '../context'
import { progressBar } from '../progress-bar'

/**
 * `nora -p P --import SRC [--patients_id PIZ] [--studies_id SID] [--pattern REGEX] [--extrafiles_filter nii,hdr]`:
 * imports a DICOM folder, zip, tar or tar.gz with a progress bar and a summary; exit 1 if anything failed.
 */
export async function importCommand(s: Services, args: ParsedArgs, io: Out): Promise<number> {
  const project = one(args, 'project')
  if (!project) throw new UsageError('say which project: nora -p PROJECT --import SRC')
  if (has(args, 'handle_job_result') && !has(args, 'autoexec_queue')) throw new UsageError('--handle_job_result goes with --autoexec_queue NAME|DEFAULT')
  const source = resolve(one(args, 'import')!)
  if (!existsSync(source)) throw new NotFoundError(`${source} does not exist`)
  let pattern: RegExp | undefined
  const raw = one(args, 'pattern')
  if (raw) {
    try {
      pattern = new RegExp(raw)
    } catch (e) {
      throw new UsageError(`--pattern: not a regular expression (${(e as Error).message})`)
    }
    if (!/\(\?<(patients_id|studies_id)>/.test(raw)) throw new UsageError('--pattern needs a named group (?<patients_id>...) and/or (?<studies_id>...)')
  }
  const actor = await actorOf(s, args)
  const queue = one(args, 'autoexec_queue')
  if (queue && queue !== 'DEFAULT' && queue !== 'none') await s.batchLibrary.get(actor, project, queue) // unknown: refused before importing
  await s.importer.recoverInterrupted()
  const { id, project: p } = await s.importer.create(actor, project, source)
  const bar = progressBar(io)
  const record = await s.importer.run(
    id,
    p,
    source,
    // Without --autoexec_queue the CLI runs no autoexecution queue (the seed's rule); DEFAULT: the project's own.
    { patientsId: one(args, 'patients_id'), studiesId: one(args, 'studies_id'), pattern, extraExtensions: tagsOf(one(args, 'extrafiles_filter')), autoexecQueue: one(args, 'autoexec_queue') ?? 'none' },
    (pr) => bar.update(pr.phase, pr.done, pr.total),
  )
  bar.end()
  const status = (await s.importer.status(id))!
  for (const pr of status.problems) await io.err(`${pr.kind === 'error' ? 'error  ' : 'skipped'} ${pr.file}: ${pr.message}`)
  const c = record.counts
  await io.out(
    `import ${id} ${record.state}: ${c.patients} patients, ${c.studies} studies, ${c.series} series (${c.unchanged} unchanged), ${c.files} files, ${c.instances} instances; ${c.skipped} skipped, ${c.errors} errors`,
  )
  if (record.state === 'failed') await io.err(`nora: import stopped: ${record.message}`)
  if (has(args, 'autoexec_queue')) {
    await s.autoexec.idle() // the queue's batch runs in this process: wait for it
    if (has(args, 'handle_job_result')) await io.out('DONE')
  }
  return record.state === 'failed' || c.errors > 0 ? 1 : 0
}
