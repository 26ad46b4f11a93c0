import { MysqlDb } from '../../../src/store/mysql-db'
import { freshMysqlDatabase } from '../../services/mariadb'
import { describeStore } from './describe-store'

// A fresh database on the local MariaDB for this run, dropped afterwards. Unreachable MariaDB fails the suite.
let fresh: Awaited<ReturnType<typeof freshMysqlDatabase>> | undefined

describeStore(
  'mysql',
  async () => {
    fresh = await freshMysqlDatabase('nora_store')
    return MysqlDb.open(fresh.options)
  },
  async () => {
    await fresh?.drop()
  },
)
