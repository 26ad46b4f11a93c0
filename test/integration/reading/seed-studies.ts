import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Harness } from '../http/harness'

/**
 * Studies `<pid>#S1` of a project, each with `anat/t1.nii.gz` copied from `<dir>/<pid>-t1.nii.gz` (written by the
 * test's nibabel fixture) and registered in the archive, subject names `Name^<pid>`.
 */
export async function seedT1Studies(h: Harness, project: { id: number; name: string }, pids: string[], dir: string, description = 'MR'): Promise<void> {
  const pdir = h.services.archive.projectDir(project as never)
  for (const pid of pids) {
    const subject = await h.services.repos.subjects.ensureSubject(project.id, pid, { name: `Name^${pid}` })
    const study = await h.services.repos.subjects.ensureStudy(project.id, subject.id, 'S1', { studyDate: '20240101', description })
    mkdirSync(join(pdir, pid, 'S1', 'anat'), { recursive: true })
    const bytes = readFileSync(join(dir, `${pid}-t1.nii.gz`))
    await Bun.write(join(pdir, pid, 'S1', 'anat', 't1.nii.gz'), bytes)
    await h.services.repos.files.upsert(project.id, study.id, 'anat/t1.nii.gz', bytes.length, 'nifti')
  }
}
