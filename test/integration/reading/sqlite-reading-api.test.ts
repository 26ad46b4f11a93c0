import { describeReadingApi } from './describe-reading-api'

describeReadingApi('sqlite')
