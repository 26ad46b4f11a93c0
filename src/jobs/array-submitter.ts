import { rmSync } from 'node:fs'
import { arrayIdOf, createArrayDir } from './array-inputs'
import type { Executor, SubmitRequest } from './executor'

interface Waiting {
  req: SubmitRequest
  at: number
  resolve: (externalId: string) => void
  reject: (e: unknown) => void
}

/** A job being prepared: submit() hands it over, release() says it will not come (its preparation failed). */
export interface Reservation {
  submit(req: SubmitRequest): Promise<string>
  release(): void
}

/** Jobs that may share an array job: same name, resources, account and group. */
const keyOf = (r: SubmitRequest) => JSON.stringify([r.name, r.resources, r.runAs ?? null, r.group ?? null])

/**
 * Hands the jobs batches submit at about the same time to a cluster as array jobs: one sbatch/qsub for each group of
 * jobs with the same name, resources and account (up to the cluster's array size), instead of one per job; a job
 * alone in its group goes as a plain job. Submission waits while jobs are being prepared (reserve()) or a batch is
 * starting its runs (hold()), so that the first step of a batch goes as one array; it waits at most `maxWaitMs`
 * for a slow preparation, and a full array goes at once.
 */
export class ArraySubmitter {
  private holds = 0
  private preparing = 0
  private waiting: Waiting[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private queue: Promise<void> = Promise.resolve()
  private max: number | undefined
  /** Array id -> its inputs folder and how many of its tasks have not ended yet. */
  private readonly arrays = new Map<string, { dir: string; open: number }>()
  private readonly quietMs: number
  private readonly maxWaitMs: number

  constructor(private readonly executor: Executor, private readonly root: string, opts: { quietMs?: number; maxWaitMs?: number } = {}) {
    this.quietMs = opts.quietMs ?? 20
    this.maxWaitMs = opts.maxWaitMs ?? 3000
  }

  /** Holds submission back (a batch starting its runs) until the returned function is called. */
  hold(): () => void {
    this.holds++
    let held = true
    return () => {
      if (!held) return
      held = false
      this.holds--
      this.schedule()
    }
  }

  /** A job about to be prepared: submission waits for it (see Reservation). */
  reserve(): Reservation {
    this.preparing++
    let open = true
    const release = () => {
      if (!open) return
      open = false
      this.preparing--
      this.schedule()
    }
    return {
      release,
      submit: (req) => {
        release()
        return this.submit(req)
      },
    }
  }

  /** Submits `req` with the others that come meanwhile; resolves to its id (a task id when it went in an array). */
  submit(req: SubmitRequest): Promise<string> {
    void (this.max === undefined && this.executor.arrayMax?.().then((m) => (this.max = m)))
    return new Promise((resolve, reject) => {
      this.waiting.push({ req, at: Date.now(), resolve, reject })
      if (this.max !== undefined && this.waiting.length >= this.max) this.flush()
      else this.schedule()
    })
  }

  /** A job this submitter handed over has ended: its array's inputs go with the array's last task. */
  ended(externalId: string): void {
    const id = arrayIdOf(externalId)
    const a = id === undefined ? undefined : this.arrays.get(id)
    if (!a || --a.open > 0) return
    this.arrays.delete(id!)
    rmSync(a.dir, { recursive: true, force: true })
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(): void {
    if (this.timer || this.waiting.length === 0) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      const oldest = this.waiting[0]
      if (!oldest) return
      const idle = this.holds === 0 && this.preparing === 0
      if (idle || Date.now() - oldest.at >= this.maxWaitMs) this.flush()
      else this.schedule()
    }, this.quietMs)
  }

  /** Submits what waits, one submission after the other. */
  private flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.waiting
    this.waiting = []
    if (batch.length === 0) return
    this.queue = this.queue.then(() => this.send(batch))
  }

  private async send(batch: Waiting[]): Promise<void> {
    const groups = new Map<string, Waiting[]>()
    for (const w of batch) {
      const k = keyOf(w.req)
      const g = groups.get(k)
      if (g) g.push(w)
      else groups.set(k, [w])
    }
    const max = (this.max ??= (await this.executor.arrayMax?.()) ?? 1)
    const alone: Waiting[] = []
    for (const group of groups.values())
      for (let i = 0; i < group.length; i += max) {
        const chunk = group.slice(i, i + max)
        if (chunk.length === 1 || !this.executor.submitArray) alone.push(...chunk)
        else await this.sendArray(chunk)
      }
    await this.sendEach(alone)
  }

  /** Jobs that go on their own: at most 8 submissions at once. */
  private async sendEach(ws: Waiting[]): Promise<void> {
    let next = 0
    const worker = async () => {
      while (next < ws.length) {
        const w = ws[next++]!
        await this.executor.submit(w.req).then(w.resolve, w.reject)
      }
    }
    await Promise.all(Array.from({ length: Math.min(8, ws.length) }, worker))
  }

  private async sendArray(ws: Waiting[]): Promise<void> {
    let dir: string | undefined
    try {
      dir = createArrayDir(this.root, ws[0]!.req.group)
      const ids = await this.executor.submitArray!(
        ws.map((w) => w.req),
        dir,
      )
      this.arrays.set(arrayIdOf(ids[0]!)!, { dir, open: ids.length })
      ws.forEach((w, i) => w.resolve(ids[i]!))
    } catch (e) {
      if (dir) rmSync(dir, { recursive: true, force: true })
      for (const w of ws) w.reject(e)
    }
  }
}
