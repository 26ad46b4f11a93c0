import type { Db } from '../db'

/** A mask saved with a reading result (its file: readings/<readingId>/<resultId>/<n>.nii.gz under the data root). */
export interface ReadingRoiRow {
  id: number
  readingId: number
  resultId: number
  /** 1, 2, ... within the result: the file's name. */
  n: number
  name: string
  /** The case's image whose grid the mask has (a path inside the study). */
  reference: string
  voxels: number
  volumeMl: number
  bytes: number
  createdAt: number
}

export type NewReadingRoi = Omit<ReadingRoiRow, 'id' | 'createdAt'>

const COLUMNS = 'id, reading_id, result_id, n, name, reference, voxels, volume_ml, bytes, created_at'

function rowOf(r: Record<string, unknown>): ReadingRoiRow {
  return {
    id: Number(r.id),
    readingId: Number(r.reading_id),
    resultId: Number(r.result_id),
    n: Number(r.n),
    name: String(r.name),
    reference: String(r.reference),
    voxels: Number(r.voxels),
    volumeMl: Number(r.volume_ml),
    bytes: Number(r.bytes),
    createdAt: Number(r.created_at),
  }
}

/** The ROIs of reading results (reading_result_rois). */
export class ReadingRoisRepo {
  constructor(private readonly db: Db) {}

  /** Records a result's ROIs (replacing any the result had). */
  async replace(readingId: number, resultId: number, rois: readonly NewReadingRoi[]): Promise<void> {
    const now = Date.now()
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM reading_result_rois WHERE reading_id = ? AND result_id = ?', [readingId, resultId])
      for (const r of rois)
        await tx.run('INSERT INTO reading_result_rois (reading_id, result_id, n, name, reference, voxels, volume_ml, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
          readingId,
          resultId,
          r.n,
          r.name,
          r.reference,
          r.voxels,
          r.volumeMl,
          r.bytes,
          now,
        ])
    })
  }

  /** Every ROI of a reading, by result and number. */
  async ofReading(readingId: number): Promise<ReadingRoiRow[]> {
    return (await this.db.all(`SELECT ${COLUMNS} FROM reading_result_rois WHERE reading_id = ? ORDER BY result_id, n`, [readingId])).map(rowOf)
  }

  async get(readingId: number, resultId: number, n: number): Promise<ReadingRoiRow | undefined> {
    const r = await this.db.get(`SELECT ${COLUMNS} FROM reading_result_rois WHERE reading_id = ? AND result_id = ? AND n = ?`, [readingId, resultId, n])
    return r && rowOf(r)
  }

  /** Results of a reading that have ROI rows but no longer exist (replaced by a new submit, or deleted by a restart). */
  async orphanResults(readingId: number): Promise<number[]> {
    const rows = await this.db.all(
      'SELECT DISTINCT result_id FROM reading_result_rois WHERE reading_id = ? AND result_id NOT IN (SELECT id FROM reading_results WHERE reading_id = ?) ORDER BY result_id',
      [readingId, readingId],
    )
    return rows.map((r) => Number(r.result_id))
  }

  async deleteResult(readingId: number, resultId: number): Promise<void> {
    await this.db.run('DELETE FROM reading_result_rois WHERE reading_id = ? AND result_id = ?', [readingId, resultId])
  }

  async deleteReading(readingId: number): Promise<void> {
    await this.db.run('DELETE FROM reading_result_rois WHERE reading_id = ?', [readingId])
  }
}
