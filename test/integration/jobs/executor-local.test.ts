import { describeExecutor } from './describe-executor'

describeExecutor('local')
