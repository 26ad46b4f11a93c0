import { accessSync, constants, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../../core/errors'
import { removeInside } from '../../core/safe-path'
import { ConvertError, PARTIAL_SUCCESS_CODES } from './convert-error'
import { dcm2niixArgs, type ConvertOptions, type ConvertResult, type Converter } from './converter'
import { checkInputs, exactFolderOf, inputEntryName, inputFolderName, withCallerPaths } from './input-folder'
import { discardNew, listFiles, newOutputs } from './output-files'

export interface NativeConverterOptions {
  /** Kill dcm2niix (by its pid) after this long; default 10 minutes. */
  timeoutMs?: number
}

/**
 * A native dcm2niix binary (e.g. Debian's /usr/bin/dcm2niix), run on the folder of one series' files when it holds
 * nothing else, else on a temp folder of symlinks to them.
 */
export class NativeConverter implements Converter {
  readonly kind = 'native' as const
  private readonly timeoutMs: number
  private versionText?: Promise<string>

  constructor(
    readonly binary: string,
    opts: NativeConverterOptions = {},
  ) {
    try {
      accessSync(binary, constants.X_OK)
    } catch {
      throw new ConfigError(`dcm2niix not found or not executable: ${binary} (install it, e.g. apt-get install dcm2niix, or set import.converter to "builtin")`)
    }
    this.timeoutMs = opts.timeoutMs ?? 600_000
  }

  /** The dcm2niix on PATH (as the environment says now), or undefined. */
  static onPath(): string | undefined {
    return Bun.which('dcm2niix', { PATH: process.env.PATH ?? '' }) ?? undefined
  }

  version(): Promise<string> {
    this.versionText ??= (async () => {
      const proc = Bun.spawn([this.binary, '--version'], { stdout: 'pipe', stderr: 'pipe' })
      const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
      return (out + err).match(/v\d+\.\d+\.\d+\w*/)?.[0] ?? 'unknown'
    })()
    return this.versionText
  }

  async convertSeries(inputFiles: string[], outDir: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
    checkInputs(inputFiles)
    // A folder of exactly these files is read in place; else a temp folder of links to them is.
    const exact = exactFolderOf(inputFiles)
    const tmp = exact ? undefined : mkdtempSync(join(tmpdir(), 'nora-dcm-'))
    try {
      const inDir = exact ?? join(tmp!, inputFolderName(inputFiles))
      if (tmp) {
        mkdirSync(inDir)
        inputFiles.forEach((p, i) => symlinkSync(p, join(inDir, inputEntryName(i))))
      }
      mkdirSync(outDir, { recursive: true })
      const before = listFiles(outDir)
      const proc = Bun.spawn([this.binary, ...dcm2niixArgs(inDir, outDir, opts)], {
        stdout: 'pipe',
        stderr: 'pipe',
        timeout: this.timeoutMs,
        killSignal: 'SIGKILL',
      })
      const [out, err, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
      const lines = `${out}${err}`.split('\n').filter((l) => l.length > 0)
      const log = exact ? lines : withCallerPaths(lines, inDir, inputFiles)
      if (proc.signalCode) {
        discardNew(outDir, before)
        const why = proc.signalCode === 'SIGKILL' ? `did not finish within ${this.timeoutMs / 1000} s and was stopped` : `was killed by ${proc.signalCode}`
        throw new ConvertError(`dcm2niix ${why} (${inputFiles.length} files)`, log, null)
      }
      const outputs = newOutputs(outDir, before)
      const ok = exitCode === 0 || PARTIAL_SUCCESS_CODES.includes(exitCode)
      if (!ok || !outputs.some((p) => /\.nii(\.gz)?$/.test(p))) {
        discardNew(outDir, before)
        throw ConvertError.fromExit('dcm2niix', exitCode, log)
      }
      return { outputs, log, exitCode }
    } finally {
      if (tmp) removeInside(tmpdir(), tmp)
    }
  }
}
