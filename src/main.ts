import { runCli } from './cli'

// argv -> cli; nothing else.
const code = await runCli(process.argv.slice(2))
process.exit(code)
