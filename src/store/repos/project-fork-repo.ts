import type { Db } from '../db'

/**
 * Copies a project's rows (subjects, studies, files and their tags) into another, empty, project: the store's half of
 * a fork (the files themselves are linked or copied by src/archive/project-admin.ts). One transaction; ids are new,
 * everything else (paths, headers, study UIDs, tags) is kept.
 */
export class ProjectForkRepo {
  constructor(private readonly db: Db) {}

  async copyRows(fromId: number, toId: number): Promise<{ subjects: number; studies: number; files: number }> {
    return this.db.transaction(async (tx) => {
      const subjects = await tx.run(
        'INSERT INTO subjects (project_id, patients_id, name, birth_date, sex, created_at) SELECT ?, patients_id, name, birth_date, sex, created_at FROM subjects WHERE project_id = ?',
        [toId, fromId],
      )
      const studies = await tx.run(
        `INSERT INTO studies (project_id, subject_id, studies_id, study_date, description, modality, study_uid, accession, created_at)
         SELECT ?, ns.id, st.studies_id, st.study_date, st.description, st.modality, st.study_uid, st.accession, st.created_at
         FROM studies st JOIN subjects os ON os.id = st.subject_id JOIN subjects ns ON ns.project_id = ? AND ns.patients_id = os.patients_id
         WHERE st.project_id = ?`,
        [toId, toId, fromId],
      )
      // Old study id -> new study id, by (patients_id, studies_id).
      const studyMap = `SELECT st.id AS old_id, nst.id AS new_id FROM studies st JOIN subjects os ON os.id = st.subject_id
         JOIN subjects ns ON ns.project_id = ? AND ns.patients_id = os.patients_id
         JOIN studies nst ON nst.subject_id = ns.id AND nst.studies_id = st.studies_id WHERE st.project_id = ?`
      const files = await tx.run(
        `INSERT INTO files (project_id, study_id, path, size, type, meta, created_at)
         SELECT ?, m.new_id, f.path, f.size, f.type, f.meta, f.created_at FROM files f JOIN (${studyMap}) m ON m.old_id = f.study_id WHERE f.project_id = ?`,
        [toId, toId, fromId, fromId],
      )
      await tx.run(
        `INSERT INTO subject_tags (subject_id, tag) SELECT ns.id, t.tag FROM subject_tags t JOIN subjects os ON os.id = t.subject_id
         JOIN subjects ns ON ns.project_id = ? AND ns.patients_id = os.patients_id WHERE os.project_id = ?`,
        [toId, fromId],
      )
      await tx.run(`INSERT INTO study_tags (study_id, tag) SELECT m.new_id, t.tag FROM study_tags t JOIN (${studyMap}) m ON m.old_id = t.study_id`, [toId, fromId])
      await tx.run(
        `INSERT INTO file_tags (file_id, tag) SELECT nf.id, t.tag FROM file_tags t JOIN files f ON f.id = t.file_id JOIN (${studyMap}) m ON m.old_id = f.study_id
         JOIN files nf ON nf.study_id = m.new_id AND nf.path = f.path`,
        [toId, fromId],
      )
      return { subjects: subjects.changes, studies: studies.changes, files: files.changes }
    })
  }
}
