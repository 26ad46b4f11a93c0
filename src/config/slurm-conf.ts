import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { readConfFile, validate } from './load-config'
import { integer, object, recordOf, string } from './schema'

const queueName = (fallback?: string) => string(fallback, { pattern: /^[A-Za-z0-9_.-]{1,64}$/, hint: 'a partition/queue name of letters, digits, _ . -' })
const resources = () =>
  object({
    queue: string(''),
    timeMinutes: integer(0, 525600, 0),
    memMb: integer(0, 4 << 20, 0),
    cpus: integer(0, 1024, 0),
  })

/**
 * conf/slurm.conf (optional; used when main.conf jobs.queue is "slurm" or "sge"): the queues nora submits to and
 * what a job gets when it does not say. The same queue names serve Slurm partitions and SGE queues.
 */
export const slurmConfRule = object({
  queues: object({
    /** Batch jobs. */
    processing: queueName('DPXproc'),
    /** Imports, when they run through the executor. */
    import: queueName('DPXimport'),
  }),
  defaults: object({
    timeMinutes: integer(0, 525600, 1440),
    memMb: integer(1, 4 << 20, 4096),
    cpus: integer(1, 1024, 1),
  }),
  /** Per project: overrides of the defaults (queue, timeMinutes, memMb, cpus; 0 or "" keeps the default). */
  projects: recordOf(resources()),
  /** How often the scheduler is asked about the jobs nora waits for. */
  pollMs: integer(100, 600_000, 2000),
  /**
   * The runs of a batch step go to the scheduler as one array job (sbatch --array, qsub -t). At most this many of
   * its tasks run at once (`%N`, `-tc N`); 0: as the scheduler decides.
   */
  arrayLimit: integer(0, 1_000_000, 0),
  /** At most this many tasks in one array job (more runs: several arrays); 0: the cluster's MaxArraySize / max_aj_tasks; 1: no arrays. */
  arrayMax: integer(0, 10_000_000, 0),
})

export type SlurmConf = ReturnType<typeof slurmConfRule.parse>

/** conf/slurm.conf, validated; its defaults when the file is absent. */
export function loadSlurmConf(confDir: string): SlurmConf {
  const path = join(confDir, 'slurm.conf')
  return validate(slurmConfRule, existsSync(path) ? readConfFile(path, 'conf/slurm.conf') : {}, 'conf/slurm.conf')
}
