/**
 * The Navigation tool's panel: the 12 affine parameters (synced both ways with the mouse on the yellow symbol),
 * centre and reset; gridding (none: the header moves; WORLD at a voxel size; an image's matrix, chosen with the ▦
 * of its viewbar); the deformable part (enable; displacement markers: add, dump, their numbers; or a pair of point
 * sets of the Marker tool); the output (new file with a suffix, or the same file); APPLY; and the lower box of moving
 * images (drop file tree rows or a viewbar's ✋ here; ✕ removes). File names go in as text only.
 */
import type { AffineParameters } from '../../../transform/matrix'
import type { NavigationTool } from './navigation-tool'
import { el } from '../../shared/dom'

export interface NavigationActions {
  apply(): void
  /** The point sets of the Marker tool (for "pair of sets"). */
  pointSets(): { name: string }[]
}

const button = (text: string, action: string, run: () => void, title = '') => {
  const b = el('button', { type: 'button', textContent: text, title, data: { navAction: action } })
  b.addEventListener('click', run)
  return b
}

const GROUPS: { group: keyof AffineParameters; label: string; unit: string; axes: string[]; step: string }[] = [
  { group: 'translate', label: 'move', unit: 'mm', axes: ['x', 'y', 'z'], step: '0.5' },
  { group: 'rotate', label: 'turn', unit: '°', axes: ['x', 'y', 'z'], step: '0.5' },
  { group: 'scale', label: 'scale', unit: '', axes: ['x', 'y', 'z'], step: '0.01' },
  { group: 'shear', label: 'shear', unit: '', axes: ['xy', 'xz', 'yz'], step: '0.01' },
]

/** True while a number or text field inside `box` has the focus. */
const typing = (box: HTMLElement) => {
  const a = document.activeElement
  return a instanceof HTMLInputElement && box.contains(a) && (a.type === 'number' || a.type === 'text')
}

const round = (x: number, digits = 4) => String(Number(x.toFixed(digits)))

export class NavigationPanel {
  private fields = new Map<string, HTMLInputElement>()
  private readonly statusEl = el('p', { className: 'muted', data: { navStatus: '' } })
  private readonly movingBox = el('div', { className: 'nav-moving', data: { navMoving: '' } })
  private readonly deformBox = el('div', { data: { navDeform: '' } })
  private readonly gridBox = el('div', { data: { navGrid: '' } })
  private readonly centreEl = el('span', { className: 'muted', data: { navCentre: '' } })
  private built = false
  private deformKey = ''
  private gridKey = ''
  suffix = '_moved'
  target: 'new' | 'same' = 'new'

  constructor(
    readonly root: HTMLElement,
    private readonly tool: NavigationTool,
    private readonly act: NavigationActions,
  ) {}

  status(text: string): void {
    this.statusEl.textContent = text
  }

  /** Builds once; afterwards only values and the lists change (fields being typed in keep their text). */
  render(): void {
    if (!this.built) this.build()
    const p = this.tool.params
    for (const g of GROUPS)
      g.axes.forEach((_, a) => {
        const f = this.fields.get(`${g.group}-${a}`)
        if (f && f !== document.activeElement) f.value = round(p[g.group][a]!)
      })
    this.centreEl.textContent = `centre ${this.tool.centre.map((x) => x.toFixed(1)).join(', ')} mm`
    this.renderMoving()
    this.renderGrid()
    this.renderDeform()
  }

  private build(): void {
    this.built = true
    const table = el('table', { className: 'nav-params' })
    const head = el('tr', {}, el('th'), el('th', { textContent: 'x' }), el('th', { textContent: 'y' }), el('th', { textContent: 'z' }))
    table.append(head)
    for (const g of GROUPS) {
      const row = el('tr', {}, el('th', { textContent: g.unit ? `${g.label} (${g.unit})` : g.label, scope: 'row' }))
      g.axes.forEach((axis, a) => {
        const f = el('input', { type: 'number', step: g.step, title: `${g.label} ${axis}`, data: { navParam: `${g.group}-${a}` } })
        f.setAttribute('aria-label', `${g.label} ${axis}`)
        f.style.width = '4.6em'
        const set = () => {
          const v = f.valueAsNumber
          if (Number.isFinite(v)) this.tool.setParameter(g.group, a, v)
        }
        f.addEventListener('input', set)
        f.addEventListener('change', set)
        this.fields.set(`${g.group}-${a}`, f)
        row.append(el('td', {}, f))
      })
      table.append(row)
    }
    const newFile = el('input', { type: 'radio', name: 'nav-target', value: 'new', checked: true, data: { navTarget: 'new' } })
    const same = el('input', { type: 'radio', name: 'nav-target', value: 'same', data: { navTarget: 'same' } })
    const suffix = el('input', { type: 'text', value: this.suffix, maxLength: 40, size: 8, title: 'added to the file name of the new file', data: { navSuffix: '' } })
    suffix.addEventListener('input', () => (this.suffix = suffix.value))
    newFile.addEventListener('change', () => (this.target = 'new'))
    same.addEventListener('change', () => (this.target = 'same'))
    const apply = button('APPLY', 'apply', () => this.act.apply(), 'write the transformation into the moving images')
    apply.className = 'primary'
    this.root.replaceChildren(
      el('h3', { textContent: 'Navigation' }),
      el('p', { className: 'muted', textContent: 'Ctrl + drag the yellow symbol: centre moves, ring turns, Shift scales.' }),
      table,
      el('p', {}, button('centre at crosshair', 'centre', () => this.tool.centreAtCrosshair(), 'rotate, scale and shear about the crosshair'), ' ', button('reset', 'reset', () => this.tool.reset(), 'all parameters back to the identity'), ' ', this.centreEl),
      el('h4', { textContent: 'Gridding' }),
      this.gridBox,
      el('h4', { textContent: 'Deformable' }),
      this.deformBox,
      el('h4', { textContent: 'Output' }),
      el('p', {}, el('label', {}, newFile, ' new file, name + '), suffix, ' ', el('label', {}, same, ' same file')),
      el('p', {}, apply),
      this.statusEl,
      el('h4', { textContent: 'Moving images' }),
      this.movingBox,
    )
  }

  private renderMoving(): void {
    const t = this.tool
    const hint = el('p', { className: 'muted', textContent: 'Drop NIfTIs here (file tree rows, or a viewbar’s ✋) to move only them.' })
    if (!t.moving.length) {
      this.movingBox.replaceChildren(el('p', { textContent: 'all visible images move' }), hint)
      return
    }
    const list = el('ul', { className: 'nav-moving-list' })
    for (const m of t.moving) {
      const li = el('li', { data: { navMovingKey: m.key } })
      const name = el('span', { textContent: m.name, title: m.url ?? m.name })
      li.append(name, ' ', button('✕', 'remove-moving', () => t.removeMoving(m.key), 'no longer moving'))
      list.append(li)
    }
    this.movingBox.replaceChildren(list, hint)
  }

  private renderGrid(): void {
    const t = this.tool
    const g = t.gridding
    const radio = (value: string, label: string, checked: boolean, on: () => void) => {
      const r = el('input', { type: 'radio', name: 'nav-grid', value, checked, data: { navGridChoice: value } })
      r.addEventListener('change', on)
      return el('label', {}, r, ` ${label}`)
    }
    if (typing(this.gridBox)) return
    const key = JSON.stringify(g)
    if (key === this.gridKey) return
    this.gridKey = key
    const voxel = el('input', { type: 'number', min: '0.1', step: '0.1', value: String(g.kind === 'world' ? g.voxel : 1), data: { navVoxel: '' } })
    voxel.style.width = '4.5em'
    voxel.addEventListener('change', () => {
      if (voxel.valueAsNumber > 0) t.gridding = { kind: 'world', voxel: voxel.valueAsNumber }
      this.render()
    })
    this.gridBox.replaceChildren(
      el('p', {}, radio('none', 'none: the header moves, voxels untouched', g.kind === 'none', () => ((t.gridding = { kind: 'none' }), this.render()))),
      el('p', {}, radio('world', 'WORLD, voxel', g.kind === 'world', () => ((t.gridding = { kind: 'world', voxel: voxel.valueAsNumber || 1 }), this.render())), ' ', voxel, ' mm'),
      el('p', {}, g.kind === 'image' ? radio('image', `matrix of ${g.name}`, true, () => {}) : el('span', { className: 'muted', textContent: 'or an image’s matrix: ▦ on its viewbar' })),
    )
  }

  private renderDeform(): void {
    const t = this.tool
    const d = t.deform
    // Rebuilt only when its structure changed (a rebuild under a click would swallow the click); else the numbers.
    const key = JSON.stringify([d.enabled, d.type, d.markers.length, d.dumped.length, t.currentMarker, t.previewing, d.type === 'pairs' ? this.act.pointSets().map((s) => s.name) : 0])
    if (key === this.deformKey) {
      d.markers.forEach((m, i) => {
        const vals: Record<string, number> = { dx: m.vector[0], dy: m.vector[1], dz: m.vector[2], sigma: m.sigma }
        for (const [name, v] of Object.entries(vals)) {
          const f = this.deformBox.querySelector<HTMLInputElement>(`[data-nav-marker-field="${i}-${name}"]`)
          if (f && f !== document.activeElement) f.value = round(v, 2)
        }
      })
      return
    }
    this.deformKey = key
    const enable = el('input', { type: 'checkbox', checked: d.enabled, data: { navDeformEnable: '' } })
    enable.addEventListener('change', () => {
      d.enabled = enable.checked
      if (!d.enabled) t.previewOff()
      this.render()
      t.onChange()
    })
    const type = el('select', { data: { navDeformType: '' } }, el('option', { value: 'displacements', textContent: 'displacements' }), el('option', { value: 'pairs', textContent: 'pair of sets' }))
    type.value = d.type
    type.disabled = !d.enabled
    type.addEventListener('change', () => {
      d.type = type.value as typeof d.type
      this.render()
    })
    const rows: Node[] = [el('p', {}, el('label', {}, enable, ' enable'), ' type ', type)]
    if (d.enabled && d.type === 'displacements') {
      const sigma = el('input', { type: 'number', min: '0.5', step: '0.5', value: String(d.sigma), title: 'extent (sigma, mm) of a new marker', data: { navSigma: '' } })
      sigma.style.width = '4.5em'
      sigma.addEventListener('change', () => sigma.valueAsNumber > 0 && (d.sigma = sigma.valueAsNumber))
      rows.push(
        el('p', {}, button('add', 'add-marker', () => t.addMarker() ?? this.status('load an image first: a marker is placed at the crosshair')), ' size ', sigma, ' mm ', button('dump', 'dump', () => t.dump(), 'render the markers into one field and clear them'), ' ', button('clear field', 'clear-field', () => t.clearField()), ' ', button(t.previewing ? 'hide warp' : 'show warp', 'preview', () => {
          if (t.previewing) return t.previewOff()
          this.status(t.previewOn() ? 'showing the warped moving images (APPLY writes them)' : 'no displacement to show: add a marker and drag its tip')
        }, 'warp the moving images in the viewer by the markers (nothing is written)')),
        el('p', { className: 'muted', textContent: `${d.dumped.length} marker${d.dumped.length === 1 ? '' : 's'} in the dumped field; Ctrl + drag a marker's tip to displace (Shift: its size)` }),
      )
      const list = el('table', { className: 'nav-markers' }, el('tr', {}, ...['', 'dx', 'dy', 'dz', 'σ mm', ''].map((h) => el('th', { textContent: h }))))
      d.markers.forEach((m, i) => {
        const num = (value: number, set: (v: number) => void, label: string) => {
          const f = el('input', { type: 'number', step: '0.5', value: round(value, 2), title: label, data: { navMarkerField: `${i}-${label}` } })
          f.style.width = '3.8em'
          f.addEventListener('change', () => {
            if (Number.isFinite(f.valueAsNumber)) set(f.valueAsNumber)
            t.onChange()
          })
          return el('td', {}, f)
        }
        const at = el('td', { textContent: `#${i + 1}`, title: `centre ${m.centre.map((x) => x.toFixed(1)).join(', ')} mm (RAS)` })
        const row = el('tr', { data: { navMarker: String(i) } }, at)
        ;['dx', 'dy', 'dz'].forEach((a, k) => row.append(num(m.vector[k]!, (v) => (m.vector[k] = v), a)))
        row.append(num(m.sigma, (v) => v > 0 && (m.sigma = v), 'sigma'), el('td', {}, button('✕', 'remove-marker', () => t.removeMarker(i))))
        if (i === t.currentMarker) row.className = 'current'
        list.append(row)
      })
      if (d.markers.length) rows.push(list)
    } else if (d.enabled) {
      const sets = this.act.pointSets().map((s) => s.name)
      const pick = (which: 'moving' | 'fixed') => {
        const s = el('select', { data: { navPairs: which } }, el('option', { value: '', textContent: '—' }), ...sets.map((n) => el('option', { value: n, textContent: n })))
        s.value = d.pairs[which] ?? ''
        s.addEventListener('change', () => (d.pairs[which] = s.value || undefined))
        return s
      }
      const sigma = el('input', { type: 'number', min: '0.5', step: '0.5', value: String(d.pairs.sigma), data: { navPairsSigma: '' } })
      sigma.style.width = '4.5em'
      sigma.addEventListener('change', () => sigma.valueAsNumber > 0 && (d.pairs.sigma = sigma.valueAsNumber))
      rows.push(el('p', {}, 'moving ', pick('moving'), ' fixed ', pick('fixed'), ' width ', sigma, ' mm'), el('p', { className: 'muted', textContent: 'point sets of the Marker tool; point i of the moving set goes to point i of the fixed set' }))
    }
    this.deformBox.replaceChildren(...rows)
  }
}
