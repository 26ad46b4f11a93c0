import { createConnection, createServer, type Server, type Socket } from 'node:net'
import type { Db } from '../../../src/store/db'
import type { User } from '../../../src/core/types'

export const ROOT: User = { id: 0, username: 'root', displayName: 'root', email: '', isSiteAdmin: true, source: 'local', disabled: false, createdAt: 0 }

/** Every file of a project as `patients_id/studies_id/path size` (NIfTI, sidecars), sorted: two archives are equal when these are. */
export async function archiveOf(db: Db, project: string): Promise<string[]> {
  const rows = await db.all<{ pid: string; sid: string; path: string; size: number }>(
    'SELECT p.patients_id AS pid, s.studies_id AS sid, f.path AS path, f.size AS size FROM files f JOIN studies s ON s.id = f.study_id JOIN subjects p ON p.id = s.subject_id JOIN projects pr ON pr.id = f.project_id WHERE pr.name = ?',
    [project],
  )
  // The kept originals are the PACS's copies (Orthanc rewrites the meta header): their bundles match by name only.
  return rows.map((r) => `${r.pid}/${r.sid}/${r.path}${r.path.endsWith('.tar.gz') ? '' : ` ${Number(r.size)}`}`).sort()
}

/** A TCP forwarder to a PACS that can be switched off (connection refused) and on again: the PACS "goes down". */
export class Switch {
  private server?: Server
  private readonly sockets = new Set<Socket>()
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  up(): Promise<void> {
    this.server = createServer((c) => {
      const u = createConnection({ host: '127.0.0.1', port: this.target })
      for (const s of [c, u]) {
        this.sockets.add(s)
        s.on('close', () => this.sockets.delete(s))
        s.on('error', () => {})
      }
      c.pipe(u)
      u.pipe(c)
    })
    return new Promise((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()))
  }

  /** Refuses new connections and cuts the open ones. */
  down(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }
}

export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(100)
  }
}
