// Child process of bench/convert.ts: converts one series in a fresh bun process, so that the process's peak RSS
// is the conversion's own.
//   bun bench/convert/child.ts builtin|naive OUTDIR FILELIST.json
// builtin: nora's converter (pool of 1 -> Worker -> WASM on host-fs), the series converted three times:
//   cold    the first series of the process (wasm compiled, code run for the first time, memory grown)
//   queued  a second series submitted with the first, as an import of several series does: the same Worker
//           and module serve it, memory already grown
//   later   a series arriving after the pool went idle: a Worker whose memory grew past 256 MiB was ended to
//           return it, so this one starts a new Worker (compiled code shared); a smaller one is still there
// naive:   the WASM module fed the way its README shows (every file copied into MEMFS, outputs read back).
// Prints {coldMs, queuedMs?, laterMs?, version} as JSON.
import createDcm2niix from '../../node_modules/@niivue/dcm2niix/dist/dcm2niix.jpeg.js'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { createConverter } from '../../src/dicom/convert/converter-pool'
import { loadDcm2niixWasm } from '../../src/dicom/convert/wasm-binary'

const [mode, outDir, list] = process.argv.slice(2)
const files = JSON.parse(readFileSync(list!, 'utf8')) as string[]

async function naive(out: string): Promise<string> {
  const log: string[] = []
  const mod = await createDcm2niix({ wasmBinary: await loadDcm2niixWasm(), print: (l) => log.push(l), printErr: (l) => log.push(l) })
  mod.FS.mkdir('/in')
  mod.FS.mkdir('/out')
  files.forEach((f, i) => mod.FS.writeFile(`/in/${i}_${basename(f)}`, readFileSync(f)))
  const rc = mod.callMain(['-b', 'y', '-ba', 'n', '-z', 'n', '-f', '%s_%p', '-o', '/out', '/in'])
  if (rc !== 0) throw new Error(`naive dcm2niix exited ${rc}: ${log.join('\n')}`)
  mkdirSync(out, { recursive: true })
  for (const f of mod.FS.readdir('/out')) if (f !== '.' && f !== '..') writeFileSync(join(out, f), mod.FS.readFile(`/out/${f}`))
  return log[0]?.match(/v\d+\.\d+\.\d+/)?.[0] ?? 'unknown'
}

const t0 = performance.now()
if (mode === 'naive') {
  const version = await naive(join(outDir!, 'cold'))
  console.log(JSON.stringify({ coldMs: performance.now() - t0, version }))
} else {
  const converter = createConverter({ converter: 'builtin', maxParallel: 1 })
  const first = converter.convertSeries(files, join(outDir!, 'cold'))
  const second = converter.convertSeries(files, join(outDir!, 'queued'))
  await first
  const coldMs = performance.now() - t0
  rmSync(join(outDir!, 'cold'), { recursive: true }) // as native's runs do: no writeback of the last output in the way
  await second
  const queuedMs = performance.now() - t0 - coldMs
  rmSync(outDir!, { recursive: true }) // the last run writes to a disk as empty as the first did
  const t1 = performance.now()
  await converter.convertSeries(files, join(outDir!, 'later'))
  const laterMs = performance.now() - t1
  console.log(JSON.stringify({ coldMs, queuedMs, laterMs, version: await converter.version() }))
  converter.close()
}
