import { readdirSync, statSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { ConvertError } from './convert-error'

/**
 * The name dcm2niix sees as the input folder: the folder of the first input file, so that the %f of a -f pattern
 * means what it means on the command line. Never "", ".", ".." or with a "/".
 */
export function inputFolderName(inputFiles: string[]): string {
  const name = basename(dirname(inputFiles[0] ?? '')).replace(/[^\w.+-]/g, '_')
  return name && name !== '.' && name !== '..' ? name : 'series'
}

/**
 * The folder that holds exactly the input files and nothing else (no other file, no subfolder), when there is one:
 * dcm2niix can read it in place, as `dcm2niix -o OUT FOLDER` does, instead of a temp folder of links to them.
 */
export function exactFolderOf(inputFiles: string[]): string | undefined {
  const dir = dirname(inputFiles[0] ?? '')
  if (!dir || basename(dir) !== inputFolderName(inputFiles) || inputFiles.some((f) => dirname(f) !== dir)) return undefined
  const names = new Set(inputFiles.map((f) => basename(f)))
  if (names.size !== inputFiles.length) return undefined
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return undefined
  }
  return entries.length === names.size && entries.every((e) => e.isFile() && names.has(e.name)) ? dir : undefined
}

/**
 * The name each input file gets inside the folder dcm2niix reads: numbered in the given order, so that two
 * inputs with the same base name (from different folders) never collide.
 */
export function inputEntryName(index: number): string {
  return `IM${String(index + 1).padStart(6, '0')}.dcm`
}

/** Checks the inputs before dcm2niix runs: none at all, or a missing file, is the caller's error, said plainly. */
export function checkInputs(inputFiles: string[]): void {
  if (inputFiles.length === 0) throw new ConvertError('no input files: a series needs at least one DICOM file')
  for (const f of inputFiles) {
    let isFile = false
    try {
      isFile = statSync(f).isFile()
    } catch {
      // reported below
    }
    if (!isFile) throw new ConvertError(`input file not found or not a file: ${f}`)
  }
}

/**
 * dcm2niix's log with the paths it saw (the temp or in-module input folder, the in-module output folder) put
 * back as the caller's paths, so that "File not large enough: /in/x/IM000003.dcm" names the user's file.
 */
export function withCallerPaths(log: string[], inDir: string, inputFiles: string[], outDir?: { seen: string; real: string }): string[] {
  const input = new RegExp(`${escapeRegExp(inDir)}/IM(\\d{6})\\.dcm`, 'g')
  return log.map((line) => {
    let l = line.replace(input, (m, n: string) => inputFiles[Number(n) - 1] ?? m)
    if (outDir) l = l.split(`${outDir.seen}/`).join(`${outDir.real}/`)
    return l
  })
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
