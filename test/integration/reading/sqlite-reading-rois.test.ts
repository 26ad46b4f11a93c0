import { describeReadingRois } from './describe-reading-rois'

describeReadingRois('sqlite')
