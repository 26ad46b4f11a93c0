import type { Study, Subject } from '../../core/types'
import { insertIgnore, type Db } from '../db'

type SubjectRow = { id: number; project_id: number; patients_id: string; name: string; birth_date: string; sex: string }
type StudyRow = {
  id: number
  project_id: number
  subject_id: number
  studies_id: string
  study_date: string
  description: string
  modality: string
  study_uid: string
}
const toSubject = (r: SubjectRow): Subject => ({
  id: Number(r.id),
  projectId: Number(r.project_id),
  patientsId: r.patients_id,
  name: r.name,
  birthDate: r.birth_date,
  sex: r.sex,
})
const toStudy = (r: StudyRow): Study => ({
  id: Number(r.id),
  projectId: Number(r.project_id),
  subjectId: Number(r.subject_id),
  studiesId: r.studies_id,
  studyDate: r.study_date,
  description: r.description,
  modality: r.modality,
  studyUid: r.study_uid,
})
const SUBJECT_COLS = 'id, project_id, patients_id, name, birth_date, sex'
const STUDY_COLS = 'id, project_id, subject_id, studies_id, study_date, description, modality, study_uid'

export type SubjectFields = Partial<Pick<Subject, 'name' | 'birthDate' | 'sex'>>
export type StudyFields = Partial<Pick<Study, 'studyDate' | 'description' | 'modality' | 'studyUid'>>

/** Subjects (the seed's patients) and their studies. */
export class SubjectsRepo {
  constructor(private readonly db: Db) {}

  /** The subject with this patients_id, created if new (safe when two imports race). */
  async ensureSubject(projectId: number, patientsId: string, f: SubjectFields = {}): Promise<Subject> {
    await this.db.run(
      `${insertIgnore(this.db)} INTO subjects (project_id, patients_id, name, birth_date, sex, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
      [projectId, patientsId, f.name ?? '', f.birthDate ?? '', f.sex ?? '', Date.now()],
    )
    return (await this.subject(projectId, patientsId))!
  }

  async ensureStudy(projectId: number, subjectId: number, studiesId: string, f: StudyFields = {}): Promise<Study> {
    await this.db.run(
      `${insertIgnore(this.db)} INTO studies (project_id, subject_id, studies_id, study_date, description, modality, study_uid, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [projectId, subjectId, studiesId, f.studyDate ?? '', f.description ?? '', f.modality ?? '', f.studyUid ?? '', Date.now()],
    )
    return (await this.study(subjectId, studiesId))!
  }

  async subject(projectId: number, patientsId: string): Promise<Subject | undefined> {
    const r = await this.db.get<SubjectRow>(`SELECT ${SUBJECT_COLS} FROM subjects WHERE project_id = ? AND patients_id = ?`, [projectId, patientsId])
    return r && toSubject(r)
  }

  async study(subjectId: number, studiesId: string): Promise<Study | undefined> {
    const r = await this.db.get<StudyRow>(`SELECT ${STUDY_COLS} FROM studies WHERE subject_id = ? AND studies_id = ?`, [subjectId, studiesId])
    return r && toStudy(r)
  }

  async studiesOf(subjectId: number): Promise<Study[]> {
    return (await this.db.all<StudyRow>(`SELECT ${STUDY_COLS} FROM studies WHERE subject_id = ? ORDER BY studies_id`, [subjectId])).map(toStudy)
  }

  async deleteSubject(id: number): Promise<void> {
    await this.db.run('DELETE FROM subjects WHERE id = ?', [id])
  }

  async deleteStudy(id: number): Promise<void> {
    await this.db.run('DELETE FROM studies WHERE id = ?', [id])
  }

  async counts(projectId: number): Promise<{ subjects: number; studies: number; files: number }> {
    const one = async (table: string) =>
      Number((await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE project_id = ?`, [projectId]))?.n ?? 0)
    return { subjects: await one('subjects'), studies: await one('studies'), files: await one('files') }
  }
}
