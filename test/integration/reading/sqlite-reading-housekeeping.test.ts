import { describeReadingHousekeeping } from './describe-reading-housekeeping'

describeReadingHousekeeping('sqlite')
