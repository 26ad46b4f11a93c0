import { freshMysqlDatabase } from '../../services/mariadb'
import { describeJobs } from './describe-jobs'

// A fresh database on the local MariaDB, dropped afterwards. Unreachable MariaDB fails the suite.
describeJobs('mysql', async () => {
  const fresh = await freshMysqlDatabase('nora_jobs')
  return { mysql: fresh.options, drop: fresh.drop }
})
