import { readFileSync } from 'node:fs'
import { UsageError } from '../core/errors'
import type { User } from '../core/types'
import type { SubjectsRepo } from '../store/repos/subjects-repo'
import type { ArchiveService } from './archive-service'
import { resolveProjectFile } from './file-access'
import { cellText, columnOf, leafCells, selectCells, type KeyPattern, type MetaCell, type MetaFile } from './meta-keys'

/** The patient and study columns every export starts with (from the database: what the import read from DICOM). */
export const INFO_COLUMNS = ['patients_id', 'studies_id', 'PatientName', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyDescription', 'Modality', 'StudyInstanceUID']

/** JSON files larger than this are reported and skipped (meta files are small; a mistake should not fill memory). */
export const MAX_META_BYTES = 64 * 1024 * 1024

export interface MetaExport {
  header: string[]
  /** One row per study with at least one matching JSON file, ordered by patients_id, then studies_id. */
  rows: string[][]
}

export interface MetaExportDeps {
  archive: Pick<ArchiveService, 'open' | 'select' | 'projectDir'>
  subjects: Pick<SubjectsRepo, 'subject' | 'study'>
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const QUOTES = /^['"‘’“”]+|['"‘’“”]+$/g

/**
 * The words of `--exportmeta`: file patterns of the select language (`META/radio*.json`, `*`, optionally
 * `PID#SID/` first), several per value as in the filter bars (space = or); quotes around a word are dropped, so the
 * seed's examples work as printed.
 */
export function patternWords(values: string[]): string[] {
  const words = values.flatMap((v) => v.split(/\s+/)).map((w) => w.replace(QUOTES, '')).filter(Boolean)
  if (!words.length) throw new UsageError('--exportmeta needs a file pattern, e.g. "META/radio*.json" or "*" (every JSON file of each study)')
  return words
}

/**
 * `nora -p P --exportmeta PATTERN... [--keys K,K]`: the JSON files matching the patterns in each study as one CSV
 * row per study: the patient and study columns, then the chosen key sequences (meta-keys.ts) or, without --keys,
 * every leaf of every file. Columns: per key sequence (in the order given) by file name, then by the order the keys
 * were first seen. A file that is not JSON is reported through `warn` and left out.
 */
export async function exportMeta(deps: MetaExportDeps, actor: User, projectName: string, patterns: string[], keys: KeyPattern[] | undefined, warn: (m: string) => void): Promise<MetaExport> {
  const project = await deps.archive.open(actor, projectName, 'read')
  const root = deps.archive.projectDir(project)
  const studies = new Map<string, { pid: string; sid: string; files: Map<string, string> }>()
  for (const word of patternWords(patterns)) {
    for await (const page of deps.archive.select(actor, projectName, word)) {
      for (const f of page) {
        if (!/\.json$/i.test(f.path)) continue
        const key = `${f.patients_id}#${f.studies_id}`
        let s = studies.get(key)
        if (!s) studies.set(key, (s = { pid: f.patients_id, sid: f.studies_id, files: new Map() }))
        s.files.set(f.path, f.relative)
      }
    }
  }
  const ordered = [...studies.values()].sort((a, b) => byCodePoint(a.pid, b.pid) || byCodePoint(a.sid, b.sid))
  // One group per key sequence (one for all leaves without --keys): file -> its columns in first-seen order.
  const groups = (keys ?? [null]).map(() => new Map<string, Set<string>>())
  const values: Map<string, string>[] = []
  const info: string[][] = []
  for (const s of ordered) {
    const files: MetaFile[] = []
    for (const path of [...s.files.keys()].sort(byCodePoint)) {
      const file = readMeta(root, s.files.get(path)!, warn)
      if (file !== undefined) files.push({ name: path.replace(/\.json$/i, ''), json: file })
    }
    const row = new Map<string, string>()
    const take = (g: number, cells: MetaCell[]) => {
      for (const c of cells) {
        const col = columnOf(c)
        const group = groups[g]!
        let cols = group.get(c.file)
        if (!cols) group.set(c.file, (cols = new Set()))
        cols.add(col)
        if (!row.has(col)) row.set(col, cellText(c.value))
      }
    }
    if (keys) keys.forEach((k, g) => take(g, selectCells(files, k)))
    else take(0, files.flatMap(leafCells))
    values.push(row)
    const subject = await deps.subjects.subject(project.id, s.pid)
    const study = subject && (await deps.subjects.study(subject.id, s.sid))
    info.push([s.pid, s.sid, subject?.name ?? '', subject?.birthDate ?? '', subject?.sex ?? '', study?.studyDate ?? '', study?.description ?? '', study?.modality ?? '', study?.studyUid ?? ''])
  }
  const columns: string[] = []
  const seen = new Set<string>(INFO_COLUMNS)
  for (const group of groups)
    for (const file of [...group.keys()].sort(byCodePoint))
      for (const col of group.get(file)!) if (!seen.has(col)) columns.push(col), seen.add(col)
  return { header: [...INFO_COLUMNS, ...columns], rows: values.map((row, i) => [...info[i]!, ...columns.map((c) => row.get(c) ?? '')]) }
}

/** A study's JSON file (inside the project folder, symlinks followed), parsed; undefined (and a warning) if it cannot be. */
function readMeta(root: string, relative: string, warn: (m: string) => void): unknown {
  try {
    const f = resolveProjectFile(root, relative.split('/'))
    if (f.stats.size > MAX_META_BYTES) {
      warn(`${relative}: ${f.stats.size} bytes, more than a meta file of ${MAX_META_BYTES} bytes`)
      return undefined
    }
    return JSON.parse(readFileSync(f.real, 'utf8'))
  } catch (e) {
    warn(`${relative}: ${e instanceof SyntaxError ? `not JSON (${e.message})` : (e as Error).message}`)
    return undefined
  }
}
