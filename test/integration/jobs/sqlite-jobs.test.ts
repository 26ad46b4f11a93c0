import { describeJobs } from './describe-jobs'

describeJobs('sqlite', async () => ({ drop: async () => {} }))
