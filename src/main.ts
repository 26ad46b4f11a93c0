import { runCli } from './cli'
import { drainStdio } from './cli/context'

// argv -> cli; nothing else. A pipe is written asynchronously: drain it before exiting, or a reader slower than
// us (`nora -s '*' --json | jq`) would lose the end of the output.
// Inside a batch job (NORA_RUN_TOKEN), commands go to the nora that launched the job, with the run's token.
const token = process.env.NORA_RUN_TOKEN
const code = token ? await (await import('./cli/job-client')).runInJob(process.argv.slice(2), token, process.env.NORA_URL) : await runCli(process.argv.slice(2))
await drainStdio()
process.exit(code)
