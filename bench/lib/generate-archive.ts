import type { Db } from '../../src/store/db'

const SERIES = ['t1_mprage', 't2_tse', 'flair', 'dwi', 'ep2d_bold', 'swi', 'pd', 'localizer', 'ct_head', 'mpr_t1']

/**
 * Fills a project with `subjects x studiesPerSubject` studies and `filesPerStudy` files each, with multi-row
 * INSERTs in transactions (the same SQL for both dialects). Returns the number of files.
 */
export async function generateArchive(db: Db, projectId: number, subjects: number, studiesPerSubject: number, filesPerStudy: number, onProgress?: (files: number) => void): Promise<number> {
  const now = Date.now()
  let files = 0
  const BATCH = 1000
  for (let p = 0; p < subjects; p++) {
    await db.transaction(async (tx) => {
      const subj = await tx.run('INSERT INTO subjects (project_id, patients_id, name, birth_date, sex, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
        projectId,
        `P${String(p).padStart(6, '0')}`,
        `Doe^Subject${p}`,
        '19700101',
        p % 2 ? 'F' : 'M',
        now,
      ])
      for (let s = 0; s < studiesPerSubject; s++) {
        const study = await tx.run(
          'INSERT INTO studies (project_id, subject_id, studies_id, study_date, description, modality, study_uid, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [projectId, subj.lastId, `S${s}`, '20240101', 'MRT Schaedel', 'MR', `1.2.3.${p}.${s}`, now],
        )
        const rows: (string | number)[] = []
        let n = 0
        const flush = async () => {
          if (!n) return
          await tx.run(`INSERT INTO files (project_id, study_id, path, size, type, created_at) VALUES ${Array(n).fill('(?, ?, ?, ?, ?, ?)').join(',')}`, rows)
          rows.length = 0
          n = 0
        }
        for (let f = 0; f < filesPerStudy; f++) {
          const series = SERIES[f % SERIES.length]!
          rows.push(projectId, study.lastId, `${series}/s${String(f).padStart(3, '0')}.nii`, 1024 * (f + 1), 'nifti', now)
          if (++n === BATCH / 10) await flush()
        }
        await flush()
        files += filesPerStudy
      }
    })
    if (onProgress && p % 50 === 0) onProgress(files)
  }
  return files
}
