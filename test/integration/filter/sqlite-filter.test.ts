import { describeFilter } from './describe-filter'

// The fixture project on a temp NORA_HOME with the embedded SQLite store.
describeFilter('sqlite')
