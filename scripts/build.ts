// bun run build: one self-contained executable `./nora` with templates, assets, migrations and wasm embedded.
import { $ } from 'bun'
import { renameSync } from 'node:fs'
import { buildAssets } from './build-assets'
import { buildWeb } from './build-web'

const out = process.argv[2] ?? './nora'
const started = performance.now()
// The viewer bundle first: the binary embeds public/js/viewer.js (src/http/static-assets.ts).
await buildWeb()
// Then every served asset, precompressed (brotli, gzip) into public/dist/assets.pack, which the binary embeds.
buildAssets()
// The converter's Worker is a second entrypoint: a compiled binary finds it inside itself by name.
// Built beside and renamed into place, so a test running ./nora while another process rebuilds it never sees half a file.
const tmp = `${out}.build-${process.pid}`
// --splitting: each command's modules (and dcmjs, mysql2, Elysia, the converter) in their own chunk, parsed only
// when a command imports them, so `nora --version` or `--select` starts in tens of milliseconds.
await $`bun build --compile --splitting --minify --sourcemap=none src/main.ts src/dicom/convert/wasm-worker.ts --outfile ${tmp}`.quiet()
renameSync(tmp, out)
const size = Bun.file(out).size
console.log(`built ${out} (${(size / 1e6).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
