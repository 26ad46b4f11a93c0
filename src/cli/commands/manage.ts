import type { ArchiveService } from '../../archive/archive-service'
import { UsageError } from '../../core/errors'
import type { FileEntry } from '../../core/types'
import { parsePsid, type StudyRef } from '../../archive/file-pattern'
import { parseDates, parsePolicy } from '../../archive/project-policy'
import type { Pseudonyms } from '../../importer/pseudonyms'
import type { Autoexec } from '../../jobs/autoexec'
import type { BatchLibrary } from '../../jobs/batch-library'
import type { JobsService } from '../../jobs/jobs-service'
import { has, many, one, tagsOf, type ParsedArgs } from '../args'
import { actorOf, type ActorLookup, type Out } from '../context'

type ProjectServices = ActorLookup & {
  archive: Pick<ArchiveService, 'open'>
  batchLibrary: Pick<BatchLibrary, 'setAutoexec'>
  autoexec: Pick<Autoexec, 'launchFor'>
  jobs: Pick<JobsService, 'list'>
  pseudonyms: Pick<Pseudonyms, 'reveal'>
}

/** `nora -p P --autoexec NAME`, `--launch_autoexec PSID`, `--pseudonyms`: batches and pseudonyms of a project. */
export async function projectServices(s: ProjectServices, args: ParsedArgs, io: Out): Promise<number> {
  const actor = await actorOf(s, args)
  const project = one(args, 'project')
  if (!project) throw new UsageError('say which project: nora -p PROJECT ...; nora --admin projects lists them')
  if (has(args, 'autoexec')) {
    const name = one(args, 'autoexec')!
    await s.batchLibrary.setAutoexec(actor, project, name === 'none' ? null : name)
    await io.out(name === 'none' ? `project "${project}" has no autoexecution queue now` : `autoexecution queue of "${project}": ${name}`)
    return 0
  }
  if (has(args, 'launch_autoexec')) {
    const launched = await s.autoexec.launchFor(actor, project, one(args, 'launch_autoexec')!, one(args, 'autoexec_queue'))
    await io.err(`batch ${launched.batchId} (${launched.queue}) launched on ${one(args, 'launch_autoexec')}`)
    await launched.done
    const runs = await s.jobs.list(actor, { batchId: launched.batchId, states: ['error'] })
    await io.out(`batch ${launched.batchId} ${runs.length ? 'error' : 'done'}${runs.length ? `: ${runs.map((g) => `${g.psid}: ${g.reason}`).join('; ')}` : ''}`)
    if (has(args, 'handle_job_result')) await io.out('DONE')
    return runs.length ? 1 : 0
  }
  const p = await s.archive.open(actor, project, 'admin')
  await io.out(JSON.stringify(await s.pseudonyms.reveal(p)))
  return 0
}

/**
 * The archive's project commands: --createproject, -p with --add/--del/--del_pat/--select/--out/--pathout/--addtag/
 * --rmtag/--policy. They need the database and the archive only, so they start without loading the rest of nora.
 */
export async function manage(s: ActorLookup & { archive: ArchiveService }, args: ParsedArgs, io: Out): Promise<number> {
  const actor = await actorOf(s, args)
  const created = one(args, 'createproject')
  if (created) {
    const policy = one(args, 'policy')
    const dates = one(args, 'dates')
    const p = await s.archive.createProject(actor, created, '', policy || dates ? { ...parsePolicy(policy ?? 'keep'), ...(dates && { dates: parseDates(dates) }) } : undefined)
    io.out(`created project "${p.name}" in ${s.archive.projectDir(p)}`)
    return 0
  }
  const project = one(args, 'project')
  if (!project) throw new UsageError('say which project: nora -p PROJECT ...; nora --admin projects lists them')
  const psid = one(args, 'psid') ?? process.env.NORA_PSID
  const ref: StudyRef = psid ? parsePsid(psid) : {}

  if (has(args, 'policy') || has(args, 'naming') || has(args, 'keepdicom') || has(args, 'dates')) {
    const identity = has(args, 'policy') ? parsePolicy(one(args, 'policy')!) : undefined
    const naming = one(args, 'naming')
    const p = await s.archive.updatePolicy(actor, project, {
      ...(identity && { identity: identity.identity, pseudonymMode: identity.pseudonymMode }),
      ...(naming !== undefined && { naming }),
      ...(has(args, 'keepdicom') && { keepDicom: yesNo(one(args, 'keepdicom')!, '--keepdicom') }),
      ...(has(args, 'dates') && { dates: parseDates(one(args, 'dates')!) }),
    })
    await io.out(
      `policy of "${project}": ${p.identity}${p.identity === 'pseudonymize' ? `:${p.pseudonymMode}` : ''}, series named ${p.naming}, original DICOM ${p.keepDicom ? 'kept' : 'dropped'}${p.identity === 'pseudonymize' ? `, dates ${p.dates === 'keep' ? 'kept' : 'removed'}` : ''} (applies to what is imported from now on)`,
    )
    return 0
  }
  if (has(args, 'add')) {
    const added = await s.archive.addFiles(actor, project, many(args, 'add'), tagsOf(one(args, 'addtag')), (m) => void io.err(`warning: ${m}`))
    for (const f of added) io.out(f.absolute)
    return 0
  }
  if (has(args, 'del')) {
    io.out(`deleted ${await s.archive.deleteFiles(actor, project, many(args, 'del'))} file(s)`)
    return 0
  }
  if (has(args, 'del_pat')) {
    for (const x of await s.archive.deletePatients(actor, project, many(args, 'del_pat'))) io.out(`deleted ${x} (folder moved to ${s.config.dataRoot}/trash)`)
    return 0
  }
  const pattern = one(args, 'select')
  if (pattern !== undefined && (has(args, 'addtag') || has(args, 'rmtag'))) {
    const remove = has(args, 'rmtag')
    const tags = tagsOf(one(args, remove ? 'rmtag' : 'addtag'))
    if (!tags.length) throw new UsageError('give the tags as t1,t2')
    const n = await s.archive.tagFiles(actor, project, pattern, tags, remove)
    io.out(`${remove ? 'removed' : 'added'} ${n} tag(s)`)
    return 0
  }
  if (pattern !== undefined) return printSelection(s.archive.select(actor, project, pattern, ref), args, io)
  for (const [opt, folder] of [['out', false], ['pathout', true]] as const) {
    const p = one(args, opt)
    if (p !== undefined) {
      io.out(await s.archive.outputPath(actor, project, p, ref, folder))
      return 0
    }
  }
  throw new UsageError('nothing to do for the project: give --add, --del, --del_pat, --select, --out or --pathout (nora --help)')
}

function yesNo(value: string, option: string): boolean {
  if (value === 'yes' || value === 'no') return value === 'yes'
  throw new UsageError(`${option}: say yes or no`)
}

/** Plain: one absolute path a line. --json: an array streamed page by page. --byfilename: grouped by path in study. */
async function printSelection(pages: AsyncGenerator<FileEntry[]>, args: ParsedArgs, io: Out): Promise<number> {
  const json = has(args, 'json')
  const view = (f: FileEntry) => ({
    project: f.project,
    patients_id: f.patients_id,
    studies_id: f.studies_id,
    filename: f.path,
    relative: f.relative,
    absolute: f.absolute,
    size: f.size,
    tags: f.tags,
  })
  if (json && has(args, 'byfilename')) {
    const grouped: Record<string, ReturnType<typeof view>[]> = {}
    for await (const page of pages) for (const f of page) (grouped[f.path] ??= []).push(view(f))
    io.out(JSON.stringify(grouped))
    return 0
  }
  if (!json) {
    for await (const page of pages) if (page.length) await io.out(page.map((f) => f.absolute).join('\n'))
    return 0
  }
  // Streamed: one line per page of 5000, so a million files never sit in memory at once.
  let first = true
  io.out('[')
  for await (const page of pages) {
    if (!page.length) continue
    await io.out((first ? '' : ',') + page.map((f) => JSON.stringify(view(f))).join(','))
    first = false
  }
  io.out(']')
  return 0
}
