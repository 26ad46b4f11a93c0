import { describeHttp } from './describe-http'

describeHttp('sqlite')
