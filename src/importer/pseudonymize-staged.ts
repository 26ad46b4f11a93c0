import { readFileSync } from 'node:fs'
import type { ProjectPolicy } from '../archive/project-policy'
import type { Project } from '../core/types'
import { anonymizeDicomFile } from '../dicom/anonymize'
import { readDicomHeader } from '../dicom/dicom-header'
import type { StagedInstance } from './import-plan'
import type { Pseudonyms } from './pseudonyms'
import type { StageProblem } from './stage-source'

/**
 * Replaces each patient by a pseudonym and de-identifies each instance by DICOM PS3.15's Basic Profile
 * (src/dicom/deidentify.ts: UIDs replaced consistently, dates as the policy says), in the staged files themselves
 * (so that neither dcm2niix, the sidecars, the database nor the kept DICOM see the original) and in the headers
 * the plan uses (read again from the rewritten file). Private attributes stay until the series is converted
 * (dcm2niix reads mosaic layout, slice timing and diffusion gradients from them) and are removed before the
 * DICOM is kept. Returns a scrubber for report texts and the instances that could not be rewritten (they are
 * reported and left out: the source still has them).
 */
export async function pseudonymizeStaged(pseudonyms: Pseudonyms, project: Project, policy: ProjectPolicy, instances: StagedInstance[], patientsId?: string) {
  const originals = new Set<string>()
  const failed = new Set<StagedInstance>()
  const problems: StageProblem[] = []
  const byPatient = new Map<string, string>()
  const mapUid = pseudonyms.uidMapper(project)
  for (const inst of instances) {
    const h = inst.header
    for (const s of [h.patientId, h.patientName, ...h.patientName.split(/[\^\s]+/)]) if (s.trim().length >= 3) originals.add(s.trim())
    const key = patientsId ?? h.patientId
    let pseudonym = byPatient.get(key)
    if (!pseudonym) {
      pseudonym = patientsId ?? (await pseudonyms.pseudonymFor(project, policy.pseudonymMode, { patientId: h.patientId, patientName: h.patientName, birthDate: h.birthDate }))
      byPatient.set(key, pseudonym)
    }
    try {
      anonymizeDicomFile(inst.stagedPath, { pseudonym, dates: policy.dates, mapUid, removePrivate: false })
      inst.header = readDicomHeader(readFileSync(inst.stagedPath), inst.sourceName)
    } catch (e) {
      failed.add(inst)
      problems.push({ file: inst.sourceName, kind: 'error', message: `could not be pseudonymised, left out (${(e as Error).message})` })
      continue
    }
  }
  const patterns = [...originals].sort((a, b) => b.length - a.length).map((o) => o.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  const re = patterns.length ? new RegExp(patterns.join('|'), 'g') : undefined
  return { scrub: (text: string) => (re ? text.replace(re, '[pseudonymised]') : text), failed, problems }
}
