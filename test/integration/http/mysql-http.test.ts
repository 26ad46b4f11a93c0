import { describeHttp } from './describe-http'

// A fresh database on the local MariaDB per app; unreachable MariaDB fails these tests, it never skips them.
describeHttp('mysql')
