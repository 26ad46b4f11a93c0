import { readFileSync } from 'node:fs'
import { startDicomNode, type DicomNodeServices } from '../../app'
import { ServiceError, UsageError } from '../../core/errors'
import type { Pull, PullService, PullStudy } from '../../pacs/pull-service'
import type { PushService } from '../../pacs/push-service'
import { runningPid } from '../daemon/pid-file'
import { isKeyword } from '../../dicom/dimse/scu'
import { normalizeDateKey, type FindResult, type PacsService, type QueryLevel } from '../../pacs/pacs-service'
import { has, many, one, type ParsedArgs } from '../args'
import { actorOf, type ActorLookup, type Out } from '../context'
import { familyHelp } from '../help'

const LEVELS: Record<string, QueryLevel> = { patient: 'PATIENT', study: 'STUDY', series: 'SERIES' }
const DATE_KEYS = new Set(['StudyDate', 'SeriesDate', 'PatientBirthDate', 'AcquisitionDate', 'ContentDate'])

/** The table columns per level (all returned keys go to --json). */
const COLUMNS: Record<QueryLevel, string[]> = {
  PATIENT: ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'NumberOfPatientRelatedStudies'],
  STUDY: ['PatientName', 'PatientID', 'StudyDate', 'ModalitiesInStudy', 'StudyDescription', 'AccessionNumber', 'NumberOfStudyRelatedInstances', 'StudyInstanceUID'],
  SERIES: ['SeriesNumber', 'Modality', 'SeriesDescription', 'NumberOfSeriesRelatedInstances', 'SeriesInstanceUID'],
}
const HEADINGS: Record<string, string> = {
  NumberOfPatientRelatedStudies: 'Studies',
  NumberOfStudyRelatedInstances: 'Instances',
  NumberOfSeriesRelatedInstances: 'Instances',
  ModalitiesInStudy: 'Modalities',
}

/** `nora pacs --help`: made from the `pacs ...` entries of spec.ts. */
export const PACS_HELP = familyHelp('pacs')

/** -k KEY=VALUE options and KEY=VALUE words -> matching keys (dates normalized to DICOM ranges). */
export function parseKeys(words: string[]): Record<string, string> {
  const keys: Record<string, string> = {}
  for (const w of words) {
    const eq = w.indexOf('=')
    if (eq < 1) throw new UsageError(`query key "${w}" is not KEY=VALUE (e.g. -k PatientID=12345)`)
    const k = w.slice(0, eq).trim()
    const v = w.slice(eq + 1).trim()
    if (!isKeyword(k)) throw new UsageError(`"${k}" is not a DICOM keyword (e.g. PatientID, PatientName, StudyDate, AccessionNumber, Modality)`)
    keys[k] = DATE_KEYS.has(k) ? normalizeDateKey(v) : v
  }
  return keys
}

function table(rows: FindResult[], cols: string[]): string[] {
  const head = cols.map((c) => HEADINGS[c] ?? c)
  const cell = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, ' ') // a PACS's strings are hostile input on a terminal
  const body = rows.map((r) => cols.map((c) => cell(r[c] ?? '')))
  const width = cols.map((_, i) => Math.max(head[i]!.length, ...body.map((b) => b[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width[i]!))).join('  ')
  return [line(head), ...body.map(line)]
}

/** What `nora pacs` uses: the nodes, pulls and pushes, and for a pull without a server the DICOM node. */
type PacsServices = ActorLookup & DicomNodeServices & { pulls: PullService; push: Pick<PushService, 'pushStudy'> }

/** `nora pacs nodes|echo|find`. */
export async function pacsCommand(s: PacsServices, args: ParsedArgs, io: Out): Promise<number> {
  const [, sub, ...rest] = args.positional
  const pacs = s.pacs
  if (!sub || has(args, 'help')) {
    io.out(PACS_HELP)
    return sub || has(args, 'help') ? 0 : 2
  }
  await actorOf(s, args) // PACS data is patient data: only known nora users (or root) may query
  if (sub === 'nodes') {
    const names = pacs.names()
    if (has(args, 'json')) io.out(JSON.stringify(names.map((n) => pacs.node(n))))
    else if (!names.length) io.out('no PACS nodes in conf/pacs.conf (add nodes: { NAME: { aet, host, port } })')
    else for (const n of names) {
      const d = pacs.node(n)
      io.out(`${n}  ${d.aet}@${d.host}:${d.port}`)
    }
    return 0
  }
  if (sub === 'echo') {
    if (rest.length > 1) throw new UsageError('nora pacs echo [NODE]')
    if (rest[0]) {
      const ms = await pacs.echo(rest[0])
      const n = pacs.node(rest[0])
      if (has(args, 'json')) io.out(JSON.stringify({ node: rest[0], ok: true, ms: Math.round(ms) }))
      else io.out(`${rest[0]} (${n.aet} at ${n.host}:${n.port}): C-ECHO OK in ${Math.round(ms)} ms`)
      return 0
    }
    const all = await pacs.echoAll()
    if (!all.length) throw new UsageError('no PACS nodes in conf/pacs.conf to echo')
    if (has(args, 'json')) io.out(JSON.stringify(all))
    else for (const e of all) io.out(e.ok ? `${e.node} (${e.aet} at ${e.address}): C-ECHO OK in ${Math.round(e.ms!)} ms` : `${e.node}: FAILED ${e.error}`)
    return all.every((e) => e.ok) ? 0 : 4
  }
  if (sub === 'find') {
    const [name, ...words] = rest
    if (!name) throw new UsageError('nora pacs find NODE [--level patient|study|series] [-k KEY=VALUE]...')
    let levelWord = one(args, 'level')
    const keyWords = [...many(args, 'key')]
    for (const w of words) {
      if (!levelWord && LEVELS[w.toLowerCase()]) levelWord = w
      else keyWords.push(w)
    }
    const level = LEVELS[(levelWord ?? 'study').toLowerCase()]
    if (!level) throw new UsageError(`--level ${levelWord}: use patient, study or series`)
    const keys = parseKeys(keyWords)
    if (level === 'SERIES' && !keys.StudyInstanceUID) throw new UsageError('a series query needs -k StudyInstanceUID=UID (find it with --level study)')
    const rows = await pacs.find(name, level, keys)
    if (has(args, 'json')) {
      io.out(JSON.stringify(rows))
      return 0
    }
    const cols = [...COLUMNS[level], ...Object.keys(keys).filter((k) => !COLUMNS[level].includes(k) && k !== 'StudyInstanceUID')]
    for (const l of table(rows, cols)) await io.out(l)
    const noun = { PATIENT: ['patient', 'patients'], STUDY: ['study', 'studies'], SERIES: ['series', 'series'] }[level][rows.length === 1 ? 0 : 1]
    io.out(`${rows.length} ${noun} on ${name}`)
    return 0
  }
  if (sub === 'pull') return pullCommand(s, args, io, rest, pacs)
  if (sub === 'pulls') {
    const list = await s.pulls.list(await actorOf(s, args), { project: one(args, 'project') })
    if (has(args, 'json')) io.out(JSON.stringify(list))
    else if (!list.length) io.out('no pulls')
    else for (const p of list) await io.out(pullLine(p))
    return 0
  }
  if (sub === 'push') {
    const [name] = rest
    const project = one(args, 'project')
    const uids = many(args, 'study')
    const series = many(args, 'series')
    if (!name || !project || !uids.length) throw new UsageError('nora pacs push NODE -p PROJECT --study UID [--study UID]... [--series UID]...')
    if (series.length && uids.length > 1) throw new UsageError('--series picks series of one study: give a single --study')
    const push = s.push
    const actor = await actorOf(s, args)
    let failed = 0
    for (const uid of uids) {
      let shown = -1
      const out = await push.pushStudy(actor, name, project, uid, (done, total) => {
        const pct = Math.floor((done / total) * 10)
        if (pct !== shown || done === total) {
          shown = pct
          void io.out(`  ${uid}: ${done}/${total} sent`)
        }
      }, series)
      failed += out.failed
      io.out(`${uid} -> ${name}: ${out.completed} stored, ${out.warning} with warnings, ${out.failed} failed of ${out.instances} instances`)
      for (const f of out.failures.slice(0, 10)) io.out(`  failed: ${f.file.split('/').pop()}: ${f.reason}`)
    }
    return failed ? 1 : 0
  }
  throw new UsageError(`nora pacs ${sub}: unknown; use nodes, echo, find, pull, pulls or push (nora pacs --help)`)
}

const studyLine = (pull: Pull, st: PullStudy) =>
  `pull ${pull.id} ${st.studyInstanceUid} ${st.state} ${st.received}/${st.expected ?? '?'}${st.attempts > 1 ? ` attempt ${st.attempts}` : ''}${st.reason ? ` (${st.reason.replace(/[\x00-\x1f\x7f]/g, ' ')})` : ''}`

function pullLine(p: Pull): string {
  const n = (state: string) => p.studies.filter((s) => s.state === state).length
  return `${p.id}  ${new Date(p.createdAt).toISOString().slice(0, 19).replace('T', ' ')}  ${p.node} -> ${p.project}  ${p.state}  ${n('imported')}/${p.studies.length} imported${n('failed') ? `, ${n('failed')} failed` : ''}  by ${p.user}`
}

/** Study UIDs from --study and --from-file (one a line; blank lines and # comments ignored). */
function studyUids(args: ParsedArgs): string[] {
  const uids = [...many(args, 'study')]
  const file = one(args, 'from-file')
  if (file) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      throw new UsageError(`--from-file ${file}: ${(e as Error).message}`)
    }
    for (const line of text.split(/\r?\n/)) {
      const w = line.replace(/#.*/, '').trim()
      if (w) uids.push(w)
    }
  }
  return [...new Set(uids)]
}

/** `nora -p P pacs pull NODE --study UID... | --from-file F`: C-FIND, create the pull, follow it (running it here when no server does). */
async function pullCommand(s: PacsServices, args: ParsedArgs, io: Out, rest: string[], pacs: PacsService): Promise<number> {
  const [name] = rest
  const project = one(args, 'project')
  const uids = studyUids(args)
  if (!name || !project || !uids.length) throw new UsageError('nora -p PROJECT pacs pull NODE --study UID [--study UID]... | --from-file uids.txt')
  const actor = await actorOf(s, args)
  pacs.node(name)
  await s.archive.open(actor, project, 'write')
  const studies: { studyInstanceUid: string; expectedInstances?: number; patientId?: string; description?: string }[] = []
  const missing: string[] = []
  for (const uid of uids) {
    const [row] = await pacs.find(name, 'STUDY', { StudyInstanceUID: uid })
    if (!row) {
      missing.push(uid)
      io.err(`${uid}: not found on ${name}; left out`)
      continue
    }
    const n = Number.parseInt(row.NumberOfStudyRelatedInstances ?? '', 10)
    studies.push({ studyInstanceUid: uid, expectedInstances: Number.isFinite(n) ? n : undefined, patientId: row.PatientID ?? '', description: row.StudyDescription ?? '' })
  }
  if (!studies.length) throw new UsageError(`none of the ${uids.length} studies was found on ${name}`)
  const created = await s.pulls.create(actor, { node: name, project, studies })
  io.out(`pull ${created.id}: ${studies.length} studies from ${name} into ${project}`)
  let local: Awaited<ReturnType<typeof startDicomNode>> | undefined
  if (!runningPid(s.config.dataRoot)) {
    if (!s.config.main.dicom.enabled) throw new ServiceError(`no nora server runs and dicom.enabled is false: the pull ${created.id} waits for a nora serve with DICOM enabled`)
    const move = (s.config.pacs.nodes[name]?.retrieve ?? 'move') === 'move'
    local = await startDicomNode(s, (line) => void io.err(line), { listen: move })
    io.out(`no nora server runs: retrieving in this process${move ? ` (receiving as ${s.config.main.dicom.aet} on port ${s.config.main.dicom.port})` : ''}`)
  }
  try {
    const seen = new Map<string, string>()
    let pull = created
    for (;;) {
      pull = await s.pulls.get(actor, created.id)
      for (const st of pull.studies) {
        const key = `${st.state}|${st.received}|${st.attempts}`
        if (seen.get(st.studyInstanceUid) !== key) {
          seen.set(st.studyInstanceUid, key)
          await io.out(studyLine(pull, st))
        }
      }
      if (pull.state !== 'running') break
      await Bun.sleep(300)
    }
    const imported = pull.studies.filter((x) => x.state === 'imported').length
    const failed = pull.studies.length - imported
    io.out(`pull ${pull.id} ${pull.state}: ${imported} of ${pull.studies.length} studies imported into ${project}${failed ? `, ${failed} failed` : ''}${missing.length ? `, ${missing.length} not found on ${name}` : ''}`)
    return failed || missing.length ? 1 : 0
  } finally {
    if (local) {
      await local.pulls?.stop()
      local.stop()
    }
  }
}
