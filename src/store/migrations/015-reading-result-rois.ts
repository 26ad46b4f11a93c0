import type { Migration } from './index'

/**
 * ROIs saved with a reading result (issue 17): one row per mask a reader submitted with a result. The mask itself is
 * a file under the data root, `readings/<reading_id>/<result_id>/<n>.nii.gz` (exactly the bytes the reader sent);
 * the row keeps what the results list shows: the ROI's name, its voxel count and volume, and the image of the case
 * whose grid it matched (`reference`: a path inside the study, so blind readings store no ids).
 */
export const m015ReadingResultRois: Migration = {
  id: 15,
  name: 'reading-result-rois',
  statements: [
    `CREATE TABLE reading_result_rois (
      id {pk},
      reading_id BIGINT NOT NULL,
      result_id BIGINT NOT NULL,
      n INTEGER NOT NULL,
      name VARCHAR(128) {bin} NOT NULL,
      reference VARCHAR(700) {bin} NOT NULL DEFAULT '',
      voxels BIGINT NOT NULL,
      volume_ml DOUBLE NOT NULL,
      bytes BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      FOREIGN KEY (reading_id) REFERENCES readings(id) ON DELETE CASCADE
    ) {table}`,
    `CREATE UNIQUE INDEX reading_result_rois_n ON reading_result_rois (reading_id, result_id, n)`,
  ],
}
