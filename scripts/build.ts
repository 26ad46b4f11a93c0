// bun run build: one self-contained executable `./nora` with templates, assets, migrations and wasm embedded.
import { $ } from 'bun'

const out = process.argv[2] ?? './nora'
const started = performance.now()
await $`bun build --compile --minify --sourcemap=none src/main.ts --outfile ${out}`.quiet()
const size = Bun.file(out).size
console.log(`built ${out} (${(size / 1e6).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
