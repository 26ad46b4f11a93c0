/**
 * The ROI statistics window: every ROI × every loaded contrast, with the engine's statistics (median, IQR, mean,
 * std, volume, single-slice area). A contrast on another grid than the ROI is resampled onto the ROI's grid first
 * (the engine's trilinear resample; voxels outside the contrast are NaN and left out). Copy and CSV export.
 */
import { resample } from '../../../roi/resample'
import { stats, type RoiStats } from '../../../roi/stats'
import { sameGrid, type NumericArray } from '../../../roi/volume'
import { gridOfHeader } from './grid'
import type { Roi } from './roi'
import type { LoadedImage } from './tool'

export interface StatsRow extends RoiStats {
  roi: string
  contrast: string
  resampled: boolean
}

const COLUMNS: [keyof StatsRow, string][] = [
  ['roi', 'ROI'],
  ['contrast', 'contrast'],
  ['voxels', 'voxels'],
  ['median', 'median'],
  ['p25', 'iqr1 (p25)'],
  ['p75', 'iqr2 (p75)'],
  ['mean', 'mean'],
  ['std', 'std'],
  ['volumeMl', 'volume (mL)'],
  ['areaCm2', 'area (cm²)'],
  ['resampled', 'resampled'],
]

/**
 * Computes the table. Each contrast's stored values are used as they are, with its scl_slope/scl_inter given to the
 * engine (no scaled copy of a large volume); resampling is linear, so scaling after it is the same.
 */
export function roiStatistics(rois: readonly Roi[], images: readonly LoadedImage[]): StatsRow[] {
  const rows: StatsRow[] = []
  for (const img of images) {
    const v = img.item.volume
    if (!v?.hdr || !v.img) continue
    const grid = gridOfHeader(v.hdr as unknown as { dims: number[]; affine: number[][] })
    const data = v.img as NumericArray
    const scaling = { slope: v.hdr.scl_slope || 1, inter: Number.isFinite(v.hdr.scl_inter) ? v.hdr.scl_inter : 0 }
    for (const roi of rois) {
      const same = sameGrid(grid, roi.grid)
      const values = same ? data : resample(data, grid, roi.grid, 'linear')
      rows.push({ roi: roi.name, contrast: img.name, resampled: !same, ...stats(values, roi.mask, roi.grid, scaling) })
    }
  }
  return rows.sort((a, b) => rois.findIndex((r) => r.name === a.roi) - rois.findIndex((r) => r.name === b.roi))
}

const cell = (v: unknown) => (typeof v === 'number' ? (Number.isFinite(v) ? String(Number(v.toPrecision(7))) : '') : v === null || v === undefined ? '' : String(v))

/** CSV (RFC 4180 quoting) of the rows. */
export function statsCsv(rows: readonly StatsRow[]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
  return [COLUMNS.map(([, h]) => q(h)).join(','), ...rows.map((r) => COLUMNS.map(([k]) => q(cell(r[k]))).join(','))].join('\n') + '\n'
}

/** Shows the window (one per page) with the rows. */
export function showStatsWindow(host: HTMLElement, rows: readonly StatsRow[], ms: number) {
  let win = host.querySelector<HTMLElement>('.roi-stats')
  if (!win) {
    win = document.createElement('div')
    win.className = 'roi-stats'
    win.setAttribute('role', 'dialog')
    win.setAttribute('aria-label', 'ROI statistics')
    host.append(win)
  }
  const title = document.createElement('h3')
  title.textContent = `ROI statistics (${rows.length} rows, ${ms.toFixed(0)} ms)`
  const table = document.createElement('table')
  const head = table.createTHead().insertRow()
  for (const [, h] of COLUMNS) head.append(Object.assign(document.createElement('th'), { textContent: h }))
  const body = table.createTBody()
  for (const r of rows) {
    const tr = body.insertRow()
    for (const [k] of COLUMNS) tr.insertCell().textContent = cell(r[k])
  }
  const csv = statsCsv(rows)
  const copy = button('copy', 'copy the table (CSV) to the clipboard', () => void navigator.clipboard?.writeText(csv).then(() => (copy.textContent = 'copied'), () => (copy.textContent = 'copy failed')))
  const exp = button('export CSV', 'download the table as CSV', () => {
    const a = document.createElement('a')
    a.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }))
    a.download = 'roi-statistics.csv'
    document.body.append(a)
    a.click()
    a.remove()
  })
  const close = button('close', 'close', () => (win!.hidden = true))
  const bar = document.createElement('div')
  bar.className = 'roi-stats-actions'
  bar.append(copy, exp, close)
  win.replaceChildren(title, table, bar)
  win.dataset.csv = csv
  win.hidden = false
}

function button(text: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button')
  b.type = 'button'
  b.textContent = text
  b.title = title
  b.addEventListener('click', onClick)
  return b
}
