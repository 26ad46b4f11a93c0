import { LIKE_ESCAPE, type Db } from '../db'

/** The states a batch, run, command and gridjob go through (the filter bars' JOB:q/r/e read commands.state). */
/** `skipped`: a later job of a run whose earlier job failed. */
export type JobState = 'queued' | 'running' | 'done' | 'error' | 'skipped'

export interface RunRecord {
  id: number
  batchId: number
  projectId: number
  subjectId: number | null
  studyId: number | null
  psid: string
  state: JobState
  reason: string
}

export interface GridjobRecord {
  id: number
  commandId: number
  projectId: number
  project: string
  executor: string
  externalId: string
  runner: string
  state: JobState
  reason: string
  exitCode: number | null
  logPath: string
  submittedAt: number
  startedAt: number | null
  finishedAt: number | null
  batchId: number | null
  runId: number | null
  position: number
  psid: string
  user: string
  /** The command's job as stored (JSON). */
  job: string
}

/** A nullable number column. */
export const num = (v: unknown) => (v === null || v === undefined ? null : Number(v))

/** A gridjob with its project (p), command (c), run (r) and the command's user (u): what job listings read. */
export const GRIDJOBS_JOINED = `FROM gridjobs g JOIN projects p ON p.id = g.project_id LEFT JOIN commands c ON c.id = g.command_id
    LEFT JOIN runs r ON r.id = c.run_id LEFT JOIN users u ON u.id = c.user_id`

/** Batches, runs, commands and gridjobs: the single truth about what runs where. */
export class JobsRepo {
  constructor(private readonly db: Db) {}

  /** The same repo on another handle (a transaction). */
  withDb(db: Db): JobsRepo {
    return new JobsRepo(db)
  }

  async createBatch(projectId: number, userId: number | null, level: string, spec: string, name = ''): Promise<number> {
    return (
      await this.db.run('INSERT INTO batches (project_id, user_id, name, level, spec, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        projectId,
        userId,
        name,
        level,
        spec,
        'queued',
        Date.now(),
      ])
    ).lastId
  }

  async setBatchState(id: number, state: JobState, runner?: string): Promise<void> {
    const finished = state === 'done' || state === 'error' || state === 'skipped' ? Date.now() : null
    if (runner !== undefined) await this.db.run('UPDATE batches SET state = ?, runner = ?, finished_at = ? WHERE id = ?', [state, runner, finished, id])
    else await this.db.run('UPDATE batches SET state = ?, finished_at = ? WHERE id = ?', [state, finished, id])
  }

  async createRun(batchId: number, projectId: number, subjectId: number | null, studyId: number | null, psid: string): Promise<number> {
    return (
      await this.db.run('INSERT INTO runs (batch_id, project_id, subject_id, study_id, psid, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        batchId,
        projectId,
        subjectId,
        studyId,
        psid,
        'queued',
        Date.now(),
      ])
    ).lastId
  }

  async setRunState(id: number, state: JobState, reason: string | null = null): Promise<void> {
    const finished = state === 'done' || state === 'error' || state === 'skipped' ? Date.now() : null
    await this.db.run('UPDATE runs SET state = ?, reason = ?, finished_at = ? WHERE id = ?', [state, reason, finished, id])
  }

  async runs(batchId: number): Promise<RunRecord[]> {
    const rows = await this.db.all<Record<string, unknown>>('SELECT * FROM runs WHERE batch_id = ? ORDER BY id', [batchId])
    return rows.map((r) => ({
      id: Number(r.id),
      batchId: Number(r.batch_id),
      projectId: Number(r.project_id),
      subjectId: num(r.subject_id),
      studyId: num(r.study_id),
      psid: String(r.psid),
      state: r.state as JobState,
      reason: (r.reason as string | null) ?? '',
    }))
  }

  async createCommand(c: { projectId: number; userId: number | null; subjectId: number | null; studyId: number | null; batchId: number; runId: number; position: number; job: string }): Promise<number> {
    return (
      await this.db.run(
        'INSERT INTO commands (project_id, user_id, subject_id, study_id, batch_id, run_id, position, job, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [c.projectId, c.userId, c.subjectId, c.studyId, c.batchId, c.runId, c.position, c.job, 'queued', Date.now()],
      )
    ).lastId
  }

  async setCommandState(id: number, state: JobState): Promise<void> {
    await this.db.run('UPDATE commands SET state = ? WHERE id = ?', [state, id])
  }

  /** Commands of a run still waiting when the run stopped: they will not run. */
  async cancelQueuedCommands(runId: number, state: JobState = 'skipped'): Promise<void> {
    await this.db.run("UPDATE commands SET state = ? WHERE run_id = ? AND state = 'queued'", [state, runId])
  }

  async createGridjob(commandId: number, projectId: number, executor: string, runner: string, logPath: string): Promise<number> {
    return (
      await this.db.run('INSERT INTO gridjobs (command_id, project_id, executor, runner, state, log_path, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        commandId,
        projectId,
        executor,
        runner,
        'queued',
        logPath,
        Date.now(),
      ])
    ).lastId
  }

  /** queued -> running (a job killed meanwhile stays as it is). */
  async gridjobStarted(id: number, externalId: string): Promise<void> {
    await this.db.run("UPDATE gridjobs SET state = 'running', external_id = ?, started_at = ? WHERE id = ? AND state = 'queued'", [externalId, Date.now(), id])
  }

  /**
   * The scheduler's id of a job handed to it (Slurm/SGE job or array task id); the job stays queued until the
   * scheduler starts it. False when it is no longer queued (killed while it was being submitted); the id is kept all the same.
   */
  async setGridjobExternalId(id: number, externalId: string): Promise<boolean> {
    if ((await this.db.run("UPDATE gridjobs SET external_id = ? WHERE id = ? AND state = 'queued'", [externalId, id])).changes > 0) return true
    await this.db.run('UPDATE gridjobs SET external_id = ? WHERE id = ?', [externalId, id])
    return false
  }

  async setGridjobReason(id: number, reason: string | null): Promise<void> {
    await this.db.run('UPDATE gridjobs SET reason = ? WHERE id = ?', [reason, id])
  }

  async gridjobFinished(id: number, state: JobState, exitCode: number | null, reason: string | null): Promise<void> {
    await this.db.run('UPDATE gridjobs SET state = ?, exit_code = ?, reason = ?, finished_at = ? WHERE id = ?', [state, exitCode, reason, Date.now(), id])
  }

  async setGridjobRunner(id: number, runner: string): Promise<void> {
    await this.db.run('UPDATE gridjobs SET runner = ? WHERE id = ?', [runner, id])
  }

  private static readonly SELECT = `SELECT g.*, p.name AS project, c.batch_id, c.run_id, c.position, c.job, COALESCE(r.psid, '') AS psid, COALESCE(u.username, '') AS username
    ${GRIDJOBS_JOINED}`

  private static toGridjob(r: Record<string, unknown>): GridjobRecord {
    return {
      id: Number(r.id),
      commandId: Number(r.command_id),
      projectId: Number(r.project_id),
      project: String(r.project),
      executor: String(r.executor),
      externalId: String(r.external_id ?? ''),
      runner: String(r.runner ?? ''),
      state: r.state as JobState,
      reason: (r.reason as string | null) ?? '',
      exitCode: num(r.exit_code),
      logPath: String(r.log_path ?? ''),
      submittedAt: Number(r.submitted_at),
      startedAt: num(r.started_at),
      finishedAt: num(r.finished_at),
      batchId: num(r.batch_id),
      runId: num(r.run_id),
      position: Number(r.position ?? 0),
      psid: String(r.psid ?? ''),
      user: String(r.username ?? ''),
      job: String(r.job ?? '{}'),
    }
  }

  async gridjob(id: number): Promise<GridjobRecord | undefined> {
    const r = await this.db.get<Record<string, unknown>>(`${JobsRepo.SELECT} WHERE g.id = ?`, [id])
    return r ? JobsRepo.toGridjob(r) : undefined
  }

  /** Gridjobs, newest first; `states` narrows, `projectIds` limits to the projects the caller may read (undefined: all). */
  async gridjobs(opts: { states?: JobState[]; projectIds?: number[]; batchId?: number; executor?: string; limit?: number } = {}): Promise<GridjobRecord[]> {
    const where: string[] = []
    const params: (string | number)[] = []
    if (opts.states?.length) {
      where.push(`g.state IN (${opts.states.map(() => '?').join(', ')})`)
      params.push(...opts.states)
    }
    if (opts.projectIds) {
      if (opts.projectIds.length === 0) return []
      where.push(`g.project_id IN (${opts.projectIds.map(() => '?').join(', ')})`)
      params.push(...opts.projectIds)
    }
    if (opts.batchId !== undefined) {
      where.push('c.batch_id = ?')
      params.push(opts.batchId)
    }
    if (opts.executor) {
      where.push('g.executor = ?')
      params.push(opts.executor)
    }
    const sql = `${JobsRepo.SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY g.id DESC LIMIT ${Math.max(1, Math.min(opts.limit ?? 1000, 100_000))}`
    return (await this.db.all<Record<string, unknown>>(sql, params)).map(JobsRepo.toGridjob)
  }

  /** Runs that are not finished whose every gridjob is finished or none exists, for recovery. */
  async openRuns(): Promise<RunRecord[]> {
    const rows = await this.db.all<{ id: number; batch_id: number }>("SELECT id, batch_id FROM runs WHERE state IN ('queued', 'running')")
    const out: RunRecord[] = []
    for (const r of rows) out.push(...(await this.runs(Number(r.batch_id))).filter((x) => x.id === Number(r.id)))
    return out
  }

  async batchRunner(batchId: number): Promise<string> {
    return String((await this.db.get<{ runner: string }>('SELECT runner FROM batches WHERE id = ?', [batchId]))?.runner ?? '')
  }

  /** A batch's stored spec (JSON) and its project's name; undefined when there is no such batch. */
  async batch(batchId: number): Promise<{ spec: string; project: string } | undefined> {
    const row = await this.db.get<{ spec: string; name: string }>('SELECT b.spec, p.name FROM batches b JOIN projects p ON p.id = b.project_id WHERE b.id = ?', [batchId])
    return row && { spec: String(row.spec), project: String(row.name) }
  }

  /** The commands of a run in order, with their stored job (JSON). */
  async commands(runId: number): Promise<{ id: number; position: number; job: string }[]> {
    const rows = await this.db.all<{ id: number; position: number; job: string }>('SELECT id, position, job FROM commands WHERE run_id = ? ORDER BY position', [runId])
    return rows.map((r) => ({ id: Number(r.id), position: Number(r.position), job: String(r.job) }))
  }

  /** The commands of every run of a batch, by run, each run's in order (one query for a whole batch). */
  async commandsOfBatch(batchId: number): Promise<Map<number, { id: number; position: number; job: string }[]>> {
    const rows = await this.db.all<{ id: number; run_id: number; position: number; job: string }>(
      'SELECT c.id, c.run_id, c.position, c.job FROM runs r JOIN commands c ON c.run_id = r.id WHERE r.batch_id = ? ORDER BY c.run_id, c.position',
      [batchId],
    )
    const out = new Map<number, { id: number; position: number; job: string }[]>()
    for (const r of rows) {
      const runId = Number(r.run_id)
      const c = { id: Number(r.id), position: Number(r.position), job: String(r.job) }
      const list = out.get(runId)
      if (list) list.push(c)
      else out.set(runId, [c])
    }
    return out
  }

  /** How many gridjobs of `executor` are tasks of array `arrayId` (Slurm `ID_i`, SGE `ID.i`), and how many of them are queued or running. */
  async arrayTasks(executor: string, arrayId: string): Promise<{ open: number; total: number }> {
    const r = await this.db.get<{ total: number; open: number | null }>(
      `SELECT COUNT(*) AS total, SUM(CASE WHEN state IN ('queued', 'running') THEN 1 ELSE 0 END) AS open FROM gridjobs
       WHERE executor = ? AND (external_id LIKE ? ESCAPE '${LIKE_ESCAPE}' OR external_id LIKE ? ESCAPE '${LIKE_ESCAPE}')`,
      [executor, `${arrayId}${LIKE_ESCAPE}_%`, `${arrayId}.%`],
    )
    return { total: Number(r?.total ?? 0), open: Number(r?.open ?? 0) }
  }

  async queuedCommandCount(runId: number): Promise<number> {
    return Number((await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM commands WHERE run_id = ? AND state = 'queued'", [runId]))?.n ?? 0)
  }

  /** A queued or running gridjob ends in error with `reason` (one that ended meanwhile is left as it is); `finished`: stamps finished_at too. */
  async stopGridjob(id: number, reason: string, finished = false): Promise<void> {
    if (finished) await this.db.run("UPDATE gridjobs SET state = 'error', reason = ?, finished_at = ? WHERE id = ? AND state IN ('queued', 'running')", [reason, Date.now(), id])
    else await this.db.run("UPDATE gridjobs SET state = 'error', reason = ? WHERE id = ? AND state IN ('queued', 'running')", [reason, id])
  }
}
