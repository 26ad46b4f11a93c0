import { insertIgnore, type Db } from '../db'

export interface KnownSeries {
  id: number
  folder: string
  baseName: string
  instances: Set<string>
  /** The files (paths in the study) its last conversion made. */
  outputs: string[]
}

/** The DICOM series and instances behind each study's NIfTIs: what makes re-imports idempotent. */
export class DicomRepo {
  constructor(private readonly db: Db) {}

  async series(studyId: number, seriesUid: string): Promise<KnownSeries | undefined> {
    const r = await this.db.get<{ id: number; folder: string; base_name: string; outputs: string | null }>(
      'SELECT id, folder, base_name, outputs FROM dicom_series WHERE study_id = ? AND series_uid = ?',
      [studyId, seriesUid],
    )
    if (!r) return undefined
    const uids = await this.db.all<{ sop_uid: string }>('SELECT sop_uid FROM dicom_instances WHERE series_id = ?', [r.id])
    return { id: Number(r.id), folder: r.folder, baseName: r.base_name, instances: new Set(uids.map((u) => u.sop_uid)), outputs: r.outputs ? JSON.parse(r.outputs) : [] }
  }

  /** Names already taken in a study by other series: `folder/baseName`. */
  async takenNames(studyId: number): Promise<Map<string, string>> {
    const rows = await this.db.all<{ series_uid: string; folder: string; base_name: string }>(
      'SELECT series_uid, folder, base_name FROM dicom_series WHERE study_id = ?',
      [studyId],
    )
    return new Map(rows.map((r) => [`${r.folder}/${r.base_name}`, r.series_uid]))
  }

  /** Records a series and its instances (in the caller's transaction). */
  async record(tx: Db, s: { projectId: number; studyId: number; seriesUid: string; folder: string; baseName: string; description: string; sopUids: string[]; outputs: string[] }): Promise<void> {
    await tx.run(
      `${insertIgnore(tx)} INTO dicom_series (project_id, study_id, series_uid, folder, base_name, description, instances, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)`,
      [s.projectId, s.studyId, s.seriesUid, s.folder, s.baseName, s.description.slice(0, 255), Date.now()],
    )
    const row = await tx.get<{ id: number }>('SELECT id FROM dicom_series WHERE study_id = ? AND series_uid = ?', [s.studyId, s.seriesUid])
    const id = Number(row!.id)
    for (let i = 0; i < s.sopUids.length; i += 200) {
      const chunk = s.sopUids.slice(i, i + 200)
      await tx.run(`${insertIgnore(tx)} INTO dicom_instances (series_id, sop_uid) VALUES ${chunk.map(() => '(?, ?)').join(',')}`, chunk.flatMap((u) => [id, u]))
    }
    const n = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM dicom_instances WHERE series_id = ?', [id])
    await tx.run('UPDATE dicom_series SET instances = ?, outputs = ?, updated_at = ? WHERE id = ?', [Number(n?.n ?? 0), JSON.stringify(s.outputs), Date.now(), id])
  }
}
