import { NotFoundError, UsageError } from '../../core/errors'
import { RUNNER_ID } from '../../core/process-alive'
import { readQueuedImport } from '../../importer/queued-import'
import { one, type ParsedArgs } from '../args'
import { withServices, type Out } from '../context'

/**
 * `nora --run-import ID` (hidden; what an import job on the cluster runs): loads the import the server accepted and
 * staged (import.executor "queue"), runs it with the same options, and exits 0 only when it ended "done". The import
 * record (state, progress, problems) is updated as the import goes, so GET /api/imports/:id shows it.
 */
export async function runImport(args: ParsedArgs, io: Out): Promise<number> {
  const raw = one(args, 'run-import') ?? ''
  if (!/^\d+$/.test(raw)) throw new UsageError(`--run-import takes an import id (a number), not "${raw}"`)
  const id = Number(raw)
  return withServices(args, async (s) => {
    const record = await s.repos.imports.get(id)
    if (!record) throw new NotFoundError(`no import ${id}`)
    if (record.state !== 'queued') throw new UsageError(`import ${id} is ${record.state}, not queued: it runs once`)
    const project = await s.repos.projects.byId(record.projectId)
    if (!project) throw new NotFoundError(`import ${id}: its project ${record.projectId} is gone`)
    const { source, opts } = readQueuedImport(s.config.dataRoot, id)
    await s.repos.imports.update(id, { runner: RUNNER_ID })
    await io.out(`import ${id} into ${project.name} from ${source}`)
    let last = ''
    const done = await s.importer.run(id, project, source, opts, (p) => {
      const line = `${p.phase} ${p.done}/${p.total}`
      if (p.phase !== last.split(' ')[0]) void io.out(line)
      last = line
    })
    await io.out(`import ${id}: ${done.state}${done.message ? ` (${done.message})` : ''}; ${done.counts.series} series, ${done.counts.errors} error(s)`)
    return done.state === 'done' ? 0 : 1
  })
}
