import { ConvertError } from './convert-error'
import type { ConvertOptions, ConvertResult, Converter } from './converter'
import type { Lane } from './converter-pool'

/** What a converter says when its build lacks the decoder a file needs (e.g. Debian's dcm2niix and JPEG-LS). */
const UNSUPPORTED = /unsupported transfer syntax/i

/**
 * A native dcm2niix first (fastest; see bench/convert.ts), and the builtin WASM build for the series the native
 * build cannot decode: Debian's dcm2niix has no JPEG-LS decoder, the WASM build has JPEG, JPEG-LS and JPEG 2000.
 * The result's log says when the fallback converted a series.
 */
export class FallbackConverter implements Converter {
  readonly kind = 'native' as const

  constructor(
    private readonly native: Converter,
    private readonly builtin: Lane,
  ) {}

  version(): Promise<string> {
    return this.native.version()
  }

  async convertSeries(inputFiles: string[], outDir: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
    try {
      return await this.native.convertSeries(inputFiles, outDir, opts)
    } catch (e) {
      if (!(e instanceof ConvertError) || !e.log.some((l) => UNSUPPORTED.test(l))) throw e
      const result = await this.builtin.convertSeries(inputFiles, outDir, opts)
      const why = e.log.find((l) => UNSUPPORTED.test(l))!
      return { ...result, log: [`nora: native dcm2niix cannot decode this series (${why.trim()}); converted with the builtin dcm2niix`, ...result.log] }
    }
  }

  idle(): void {
    this.builtin.idle?.()
  }

  close(): void {
    this.builtin.close?.()
  }
}
