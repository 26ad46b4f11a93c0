// Entry of the executable compiled-binary.test.ts builds with `bun build --compile` (together with
// src/dicom/convert/wasm-worker.ts, as scripts/build.ts must): converts one series with the builtin converter.
//   compiled-entry OUTDIR FILE...     prints the ConvertResult as JSON
import { createConverter } from '../../../src/dicom/convert/converter-pool'

const [outDir, ...files] = process.argv.slice(2)
const converter = createConverter({ converter: 'builtin', maxParallel: 1 })
const result = await converter.convertSeries(files, outDir!)
console.log(JSON.stringify({ version: await converter.version(), ...result }))
