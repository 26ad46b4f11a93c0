import { describeReadingHousekeeping } from './describe-reading-housekeeping'

// A fresh database on the local MariaDB; unreachable MariaDB fails these tests, it never skips them.
describeReadingHousekeeping('mysql')
