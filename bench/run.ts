// bun run bench <name> [args]: runs bench/<name>.ts; without a name, lists them.
import { readdirSync } from 'node:fs'

const [name, ...rest] = process.argv.slice(2)
const available = readdirSync(import.meta.dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.replace(/\.ts$/, ''))
if (!name || !available.includes(name)) {
  console.log(`usage: bun run bench NAME\navailable: ${available.join(', ')}`)
  process.exit(name ? 2 : 0)
}
const proc = Bun.spawn(['bun', `${import.meta.dir}/${name}.ts`, ...rest], { stdio: ['inherit', 'inherit', 'inherit'] })
process.exit(await proc.exited)
