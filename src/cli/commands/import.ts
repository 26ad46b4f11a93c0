import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Services } from '../../app'
import { NotFoundError, UsageError } from '../../core/errors'
import { has, one, tagsOf, type ParsedArgs } from '../args'
import { actorOf, type Out } from '../context'
import { progressBar } from '../progress-bar'

/**
 * `nora -p P --import SRC [--patients_id PIZ] [--studies_id SID] [--pattern REGEX] [--extrafiles_filter nii,hdr]
 * [--autoexec_queue NAME|DEFAULT] [--handle_job_result]`:
 * imports a DICOM folder, zip, tar or tar.gz with a progress bar and a summary; exit 1 if anything failed. Given
 * the importer alone (app-import.ts) unless --autoexec_queue asks for the autoexecution services too.
 */
export async function importCommand(s: Pick<Services, 'config' | 'repos' | 'importer'> & Partial<Pick<Services, 'autoexec' | 'batchLibrary'>>, args: ParsedArgs, io: Out): Promise<number> {
  const project = one(args, 'project')
  if (!project) throw new UsageError('say which project: nora -p PROJECT --import SRC')
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
  if (queue && queue !== 'DEFAULT' && queue !== 'none') await s.batchLibrary?.get(actor, project, queue) // unknown: refused before importing
  await s.importer.recoverInterrupted()
  const bar = progressBar(io)
  const { id, ended } = await s.importer.submit(actor, project, source, {
    here: true,
    onProgress: (pr) => bar.update(pr.phase, pr.done, pr.total),
    patientsId: one(args, 'patients_id'),
    studiesId: one(args, 'studies_id'),
    pattern,
    extraExtensions: tagsOf(one(args, 'extrafiles_filter')),
    // Without --autoexec_queue the CLI runs no autoexecution queue (the seed's rule); DEFAULT: the project's own.
    autoexecQueue: one(args, 'autoexec_queue') ?? 'none',
  })
  const record = await ended
  bar.end()
  const status = (await s.importer.status(id))!
  for (const pr of status.problems) await io.err(`${pr.kind === 'error' ? 'error  ' : 'skipped'} ${pr.file}: ${pr.message}`)
  const c = record.counts
  await io.out(
    `import ${id} ${record.state}: ${c.patients} patients, ${c.studies} studies, ${c.series} series (${c.unchanged} unchanged), ${c.files} files, ${c.instances} instances; ${c.skipped} skipped, ${c.errors} errors`,
  )
  if (record.state === 'failed') await io.err(`nora: import stopped: ${record.message}`)
  if (has(args, 'autoexec_queue')) await s.autoexec?.idle() // the queue's batch runs in this process: wait for it
  // The seed's DONE signal: once the import (and the queue's batch, when one was asked for) has ended, failed or not.
  if (has(args, 'handle_job_result')) await io.out('DONE')
  return record.state === 'failed' || c.errors > 0 ? 1 : 0
}
