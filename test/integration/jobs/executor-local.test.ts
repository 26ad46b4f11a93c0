import { describeExecutor } from './describe-executor'

describeExecutor('local', async () => {})
