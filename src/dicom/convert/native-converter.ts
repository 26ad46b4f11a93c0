import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface ConvertOptions {
  /** dcm2niix's -f pattern (default %s_%p). */
  filename?: string
  /** -ba y: anonymised sidecars. */
  anonymize?: boolean
  /** -z y: gzip the NIfTI. */
  compress?: boolean
}

export interface ConvertResult {
  outputs: string[]
  log: string[]
}

/** A native dcm2niix binary, run on a temp folder of symlinks to one series' files. */
export class NativeConverter {
  readonly kind = 'native' as const
  constructor(readonly binary: string) {}

  async version(): Promise<string> {
    const r = Bun.spawnSync([this.binary, '--version'], { stdout: 'pipe', stderr: 'pipe' })
    return (r.stdout.toString() + r.stderr.toString()).match(/v\d+\.\d+\.\d+\w*/)?.[0] ?? 'unknown'
  }

  async convertSeries(inputFiles: string[], outDir: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
    const inDir = mkdtempSync(join(tmpdir(), 'nora-dcm-'))
    try {
      inputFiles.forEach((p, i) => symlinkSync(p, join(inDir, `i${String(i).padStart(6, '0')}.dcm`)))
      mkdirSync(outDir, { recursive: true })
      const args = ['-b', 'y', '-ba', opts.anonymize ? 'y' : 'n', '-z', opts.compress ? 'y' : 'n', '-f', opts.filename ?? '%s_%p', '-o', outDir, inDir]
      const proc = Bun.spawn([this.binary, ...args], { stdout: 'pipe', stderr: 'pipe' })
      const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
      return { outputs: readdirSync(outDir).map((f) => join(outDir, f)), log: `${out}\n${err}`.split('\n') }
    } finally {
      rmSync(inDir, { recursive: true, force: true })
    }
  }
}
