import { describeFilter } from './describe-filter'

// The fixture project in a fresh database on the local MariaDB, dropped afterwards; unreachable MariaDB fails, never skips.
describeFilter('mysql')
