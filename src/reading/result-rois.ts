import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { removeInside, safeJoin } from '../core/safe-path'
import type { ReadingRoiRow, ReadingRoisRepo } from '../store/repos/reading-rois-repo'
import type { CheckedRoi } from './roi-upload'

/** An ROI of a result as the results list shows it. */
export interface ResultRoiView {
  n: number
  name: string
  /** The stored file's name (`<n>.nii.gz`). */
  file: string
  voxels: number
  ml: number
  /** The download (GET; the same rights as the result). */
  url: string
}

export interface ResultRoisDeps {
  repo: Pick<ReadingRoisRepo, 'replace' | 'ofReading' | 'get' | 'orphanResults' | 'deleteResult' | 'deleteReading'>
  /** The data root: the masks go to `readings/<readingId>/<resultId>/<n>.nii.gz` below it. */
  dataRoot: string
}

/**
 * The ROIs saved with reading results: owned by the reading, not the project archive (a reader needs no write right
 * on the project, and the result's ROIs go with it). Files under `<data root>/readings/<readingId>/<resultId>/`,
 * named by number only (nothing of the patient or study), rows in reading_result_rois. Every path is built by
 * safeJoin; folders are removed only by removeInside. No rights here: the ReadingService checks them.
 */
export class ResultRois {
  constructor(private readonly d: ResultRoisDeps) {}

  private get root(): string {
    return join(this.d.dataRoot, 'readings')
  }

  private folder(readingId: number, resultId?: number): string {
    return resultId === undefined ? safeJoin(this.root, String(readingId)) : safeJoin(this.root, String(readingId), String(resultId))
  }

  /** The stored file of a result's ROI, or undefined when there is none. */
  async file(readingId: number, resultId: number, n: number): Promise<{ path: string; row: ReadingRoiRow } | undefined> {
    const row = await this.d.repo.get(readingId, resultId, n)
    if (!row) return undefined
    const path = safeJoin(this.folder(readingId, resultId), `${n}.nii.gz`)
    return existsSync(path) ? { path, row } : undefined
  }

  /** Writes a new result's ROIs (each file whole: temp, then rename) and records them. */
  async save(readingId: number, resultId: number, rois: readonly CheckedRoi[]): Promise<void> {
    if (!rois.length) return
    const dir = this.folder(readingId, resultId)
    mkdirSync(dir, { recursive: true, mode: 0o770 })
    const tag = randomBytes(4).toString('hex')
    rois.forEach((r, i) => {
      const tmp = safeJoin(dir, `.${i + 1}.nii.gz.${tag}.part`)
      try {
        writeFileSync(tmp, r.bytes, { mode: 0o660 })
        renameSync(tmp, safeJoin(dir, `${i + 1}.nii.gz`))
      } finally {
        rmSync(tmp, { force: true })
      }
    })
    await this.d.repo.replace(
      readingId,
      resultId,
      rois.map((r, i) => ({ readingId, resultId, n: i + 1, name: r.name, reference: r.reference, voxels: r.voxels, volumeMl: r.volumeMl, bytes: r.bytes.length })),
    )
  }

  /** Removes the ROIs (rows and files) of results that are gone: replaced by a new submit, or deleted by a restart. */
  async prune(readingId: number): Promise<number> {
    const gone = await this.d.repo.orphanResults(readingId)
    for (const resultId of gone) {
      this.remove(this.folder(readingId, resultId))
      await this.d.repo.deleteResult(readingId, resultId)
    }
    return gone.length
  }

  /** Removes every ROI of a reading (its folder). */
  async removeReading(readingId: number): Promise<void> {
    this.remove(this.folder(readingId))
    await this.d.repo.deleteReading(readingId)
  }

  /**
   * Moves the folders of readings that go with their project (the project's trash) to `to/<readingId>`; returns how
   * many moved. Their rows go with the readings' (foreign keys).
   */
  moveReadings(readingIds: readonly number[], to: string): number {
    let moved = 0
    for (const id of readingIds) {
      const from = this.folder(id)
      if (!existsSync(from)) continue
      mkdirSync(to, { recursive: true, mode: 0o770 })
      renameSync(from, safeJoin(to, String(id)))
      moved++
    }
    return moved
  }

  /**
   * The reading folders on disk whose reading no longer exists (deleted with a project before its folders moved to
   * the trash too, or a crash between the rows and the files). Read before the readings are asked for, so a reading
   * made meanwhile is never taken for gone (ids are not reused).
   */
  folderIds(): number[] {
    if (!existsSync(this.root)) return []
    return readdirSync(this.root)
      .filter((n) => /^[1-9][0-9]{0,15}$/.test(n))
      .map(Number)
  }

  /** Removes the folders of these (gone) readings; returns how many went. */
  removeFolders(readingIds: readonly number[]): number {
    let n = 0
    for (const id of readingIds) {
      const dir = this.folder(id)
      if (!existsSync(dir)) continue
      this.remove(dir)
      n++
    }
    return n
  }

  /** The ROIs of a reading's results, by result id, with their download URLs under `base` (the reading's API path). */
  async byResult(readingId: number, base: string): Promise<Map<number, ResultRoiView[]>> {
    const out = new Map<number, ResultRoiView[]>()
    for (const r of await this.d.repo.ofReading(readingId)) {
      const list = out.get(r.resultId) ?? []
      list.push({ n: r.n, name: r.name, file: `${r.n}.nii.gz`, voxels: r.voxels, ml: r.volumeMl, url: `${base}/results/${r.resultId}/rois/${r.n}` })
      out.set(r.resultId, list)
    }
    return out
  }

  private remove(dir: string): void {
    if (existsSync(dir)) removeInside(this.root, dir)
  }
}
