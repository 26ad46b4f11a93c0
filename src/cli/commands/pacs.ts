import type { Services } from '../../app'
import { UsageError } from '../../core/errors'
import { isKeyword } from '../../dicom/dimse/scu'
import { normalizeDateKey, PacsService, type FindResult, type QueryLevel } from '../../pacs/pacs-service'
import { has, many, one, type ParsedArgs } from '../args'
import { actorOf, type Out } from '../context'

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

export const PACS_HELP = `nora pacs: talk to the PACS nodes of conf/pacs.conf (as AE dicom.aet of conf/main.conf)

  nora pacs nodes                         the configured nodes
  nora pacs echo [NODE]                   C-ECHO one node, or every node
  nora pacs find NODE [--level patient|study|series] [-k KEY=VALUE]... [--json]
                                          C-FIND; KEY is a DICOM keyword, e.g.
                                          -k PatientID=12345 -k PatientName='Doe^J*' -k StudyDate=2001-2003
                                          (dates: 2003, 200305, 2003-05-05, ranges with -, open ends)
                                          series level needs -k StudyInstanceUID=UID
  KEY=VALUE words after NODE and the level as a word (patient, study, series) work too.`

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

/** `nora pacs nodes|echo|find`. */
export async function pacsCommand(s: Services, args: ParsedArgs, io: Out): Promise<number> {
  const [, sub, ...rest] = args.positional
  const pacs = (s as Services & { pacs?: PacsService }).pacs ?? new PacsService(s.config)
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
  throw new UsageError(`nora pacs ${sub}: unknown; use nodes, echo or find (nora pacs --help)`)
}
