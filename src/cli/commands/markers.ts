import { statSync } from 'node:fs'
import type { ArchiveCore } from '../../app-archive'
import { TooLargeError, UsageError } from '../../core/errors'
import { formatPointSet, formatSlicer, parsePointSet, parseSlicer } from '../../markers'
import { one, type ParsedArgs } from '../args'
import type { Out } from '../context'
import { archiveFiles, diskFiles, type RoiFiles } from './roi-files'

type OpenArchive = <T>(args: ParsedArgs, fn: (s: ArchiveCore) => Promise<T>) => Promise<T>

/** The largest marker file read (a set of 100,000 points is about 10 MB). */
const MAX_FILE = 32 * 1024 * 1024

/** `nora markers to-slicer IN --out OUT.mrk.json` | `from-slicer IN.mrk.json --out OUT.json`. */
export async function markersCommand(args: ParsedArgs, io: Out, withArchive: OpenArchive): Promise<number> {
  const project = one(args, 'project')
  if (!project) return run(args, io, diskFiles)
  return withArchive(args, async (s) => run(args, io, await archiveFiles(s, args, project)))
}

async function run(args: ParsedArgs, io: Out, files: RoiFiles): Promise<number> {
  const [, sub, input] = args.positional
  const out = one(args, 'out')
  if (!input || !out) throw new UsageError(`nora markers ${sub ?? ''}: name the input file and --out`)
  const src = await readText(files, input)
  if (sub === 'to-slicer') {
    if (!/\.mrk\.json$/i.test(out)) throw new UsageError(`--out ${out}: Slicer reads markups from a .mrk.json file; name it so`)
    const set = parsePointSet(src.text, src.name)
    const where = await files.write(out, utf8(formatSlicer(set)))
    await io.out(`${set.name}: ${set.points.length} points -> ${where} (Slicer markups, LPS)`)
    return 0
  }
  if (sub === 'from-slicer') {
    if (!/\.json$/i.test(out)) throw new UsageError(`--out ${out}: a nora marker file is JSON; name it NAME.json`)
    const sets = parseSlicer(src.text, src.name)
    if (sets.length > 1) await io.err(`${src.name} holds ${sets.length} point lists/curves; writing the first, ${sets[0]!.name} (others: ${sets.slice(1).map((s) => s.name).join(', ')})`)
    const set = sets[0]!
    const where = await files.write(out, utf8(formatPointSet(set)))
    await io.out(`${set.name}: ${set.points.length} points -> ${where} (nora markers, RAS)`)
    return 0
  }
  throw new UsageError(`nora markers ${sub}: unknown (to-slicer, from-slicer)`)
}

/** A marker file's text, from where `files` locates it; bounded by MAX_FILE. */
async function readText(files: RoiFiles, path: string): Promise<{ name: string; text: string }> {
  const { real, name } = await files.locate(path)
  const size = statSync(real).size
  if (size > MAX_FILE) throw new TooLargeError(`${name} is ${size} bytes; marker files of at most ${MAX_FILE} are read`)
  return { name, text: await Bun.file(real).text() }
}

const utf8 = (text: string) => new TextEncoder().encode(text)
