import { statfsSync } from 'node:fs'
import { openDb } from '../../store/open-db'
import { schemaVersion } from '../../store/migrate'
import { migrations } from '../../store/migrations'
import type { ParsedArgs } from '../args'
import { configFrom, type Out } from '../context'
import { runningPid } from '../daemon/pid-file'
import { describeJobAccount } from '../../jobs/job-account'
import { fetchHealth, httpUrl } from '../daemon/ports'

const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`

/** `nora status`: process, ports, database, queue, disk. Exit 1 when the server is down or unhealthy. */
export async function status(args: ParsedArgs, io: Out): Promise<number> {
  const config = configFrom(args)
  const { main } = config
  const url = httpUrl(main.http.host, main.http.port, main.http.publicUrl, main.http.basePath)
  const pid = runningPid(config.dataRoot)
  const health = pid ? await fetchHealth(url) : undefined
  const row = (k: string, v: string) => io.out(`${k.padEnd(9)} ${v}`)
  row('process', pid ? `running (pid ${pid})` : 'stopped')
  row('http', health ? `${url} answering (nora ${health.version})` : `${url} not answering`)
  const dicom = health?.dicom as { state?: string } | undefined
  row('dicom', main.dicom.enabled ? `${main.dicom.aet} on ${main.dicom.host}:${main.dicom.port}${dicom?.state ? ` (${dicom.state})` : ''}` : 'disabled')
  if (main.dicom.enabled && config.pacs.allowedCallingAets.length === 0) {
    const where = main.dicom.host === '127.0.0.1' || main.dicom.host === '::1' || main.dicom.host === 'localhost' ? 'this machine' : main.dicom.host === '0.0.0.0' || main.dicom.host === '::' ? 'every network this machine is on' : main.dicom.host
    row('warning', `the DICOM port accepts any calling AE from ${where}: anyone who can reach port ${main.dicom.port} can store studies; list the senders in allowedCallingAets (conf/pacs.conf), or set dicom.host to "127.0.0.1"`)
  }
  let dbOk = true
  try {
    const db = await openDb(main.database)
    try {
      const v = await schemaVersion(db).catch(() => 0)
      const latest = Math.max(...migrations.map((m) => m.id))
      row('database', `${db.dialect} ${db.label} OK (schema ${v}${v < latest ? `, ${latest} available: nora --admin migrate` : ''})`)
    } finally {
      await db.close()
    }
  } catch (e) {
    dbOk = false
    row('database', `${main.database.dialect}: ${(e as Error).message}`)
  }
  row('queue', main.jobs.queue)
  row('jobs', describeJobAccount(main.jobs.runAs))
  try {
    const fs = statfsSync(config.dataRoot)
    row('disk', `${config.dataRoot}: ${gb(fs.bavail * fs.bsize)} free of ${gb(fs.blocks * fs.bsize)}`)
  } catch {
    row('disk', `${config.dataRoot}: missing (run nora init)`)
  }
  return pid && health?.status === 'ok' && dbOk ? 0 : 1
}
