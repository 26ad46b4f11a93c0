// A nora process that launches a batch and runs it (the tests kill it with SIGKILL to play a crash).
// Usage: bun runner-fixture.ts HOME PROJECT USER BATCH_JSON
import { openServices } from '../../../src/app'
import { loadConfig } from '../../../src/config/load-config'
import { migrate } from '../../../src/store/migrate'
import { migrations } from '../../../src/store/migrations'
import { m003Jobs } from '../../../src/store/migrations/003-jobs'

const [home, project, user, json] = process.argv.slice(2) as [string, string, string, string]
const s = await openServices(loadConfig(home))
await migrate(s.db, [...migrations.filter((m) => m.id !== 3), m003Jobs])
const actor = (await s.repos.users.byUsername(user))!
const jobs = s.jobs
const { batchId } = await jobs.launch(actor, project, json)
console.log(`batch ${batchId}`)
await jobs.run(actor, batchId)
await s.close()
