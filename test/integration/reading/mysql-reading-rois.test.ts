import { describeReadingRois } from './describe-reading-rois'

// A fresh database on the local MariaDB; unreachable MariaDB fails these tests, it never skips them.
describeReadingRois('mysql')
