import type { SlurmConf } from '../config/slurm-conf'
import type { JobResources } from './executor'
import type { JobsDeps } from './job-core'
import type { JobSpec } from './job-spec'
import { SgeExecutor } from './sge-executor'
import { SlurmExecutor, type ClusterDefaults } from './slurm-executor'

/** The processing defaults of conf/slurm.conf (queue DPXproc, time, memory, cpus) and its array settings. */
export function clusterDefaults(conf: SlurmConf, queue: 'processing' | 'import' = 'processing'): ClusterDefaults {
  return { queue: conf.queues[queue], ...conf.defaults, arrayLimit: conf.arrayLimit, arrayMax: conf.arrayMax }
}

/** What a job of `project` gets when it does not say: the project's entry of conf/slurm.conf, else its defaults. */
export function resourcesFor(conf: SlurmConf) {
  return (project: string, _job: JobSpec): JobResources => {
    const p = conf.projects[project]
    const r: JobResources = { queue: conf.queues.processing, ...conf.defaults }
    if (p?.queue) r.queue = p.queue
    if (p?.timeMinutes) r.timeMinutes = p.timeMinutes
    if (p?.memMb) r.memMb = p.memMb
    if (p?.cpus) r.cpus = p.cpus
    return r
  }
}

/** The JobsService parts for main.conf's jobs.queue: nothing for local, else the Slurm/SGE executor and its settings. */
export function executorDeps(queue: 'local' | 'slurm' | 'sge', conf: SlurmConf): Pick<JobsDeps, 'executor' | 'resourcesFor' | 'pollMs'> {
  if (queue === 'local') return {}
  const executor = queue === 'slurm' ? new SlurmExecutor(clusterDefaults(conf)) : new SgeExecutor(clusterDefaults(conf))
  return { executor, resourcesFor: resourcesFor(conf), pollMs: conf.pollMs }
}
