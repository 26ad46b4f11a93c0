import { runCli } from './cli'
import { drainStdio } from './cli/context'

// argv -> cli; nothing else. A pipe is written asynchronously: drain it before exiting, or a reader slower than
// us (`nora -s '*' --json | jq`) would lose the end of the output.
const code = await runCli(process.argv.slice(2))
await drainStdio()
process.exit(code)
