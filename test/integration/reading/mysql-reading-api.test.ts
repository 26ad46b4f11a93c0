import { describeReadingApi } from './describe-reading-api'

// A fresh database on the local MariaDB; unreachable MariaDB fails these tests, it never skips them.
describeReadingApi('mysql')
