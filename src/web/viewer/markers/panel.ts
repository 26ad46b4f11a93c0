/**
 * The Marker tool's panel: "new+" (pointset, freeline), the sets (click one to make it current), the current set's
 * bar (its name: click to rename; the pen; Save; .mrk.json download; delete) and its points (label: click to
 * rename; world position RAS mm; ✕ deletes). Text from files is set with textContent only.
 */
import type { MarkerKind } from '../../../markers'
import type { MarkerSet, MarkerTool } from './marker-tool'
import { el } from '../../shared/dom'

export interface PanelActions {
  save(set: MarkerSet): void
  download(set: MarkerSet): void
}

const button = (text: string, action: string, run: () => void, title = '') => {
  const b = el('button', { type: 'button', textContent: text, title, data: { markerAction: action } })
  b.addEventListener('click', run)
  return b
}

/** An inline text field in place of `target` that calls `done` with the new text on Enter or leaving it. */
function editInPlace(target: HTMLElement, value: string, done: (text: string) => void) {
  const input = el('input', { type: 'text', value, maxLength: 200, data: { markerEdit: '' } })
  let finished = false
  const finish = (keep: boolean) => {
    if (finished) return
    finished = true
    if (keep && input.value.trim()) done(input.value.trim())
    else done(value)
  }
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') finish(true)
    else if (e.key === 'Escape') finish(false)
  })
  input.addEventListener('blur', () => finish(true))
  target.replaceWith(input)
  input.focus()
  input.select()
}

export class MarkerPanel {
  private statusText = ''
  constructor(private readonly root: HTMLElement, private readonly tool: MarkerTool, private readonly actions: PanelActions) {}

  status(text: string) {
    this.statusText = text
    const s = this.root.querySelector('[data-marker-status]')
    if (s) s.textContent = text
  }

  render() {
    const tool = this.tool
    const kinds = el('select', { title: 'new+: a new marker set', data: { markerNew: '' } }, el('option', { value: '', textContent: 'new+' }), el('option', { value: 'pointset', textContent: 'pointset' }), el('option', { value: 'freeline', textContent: 'freeline' }))
    kinds.addEventListener('change', () => {
      if (kinds.value) tool.create(kinds.value as MarkerKind)
      tool.setPen(true)
    })
    const sets = el('ul', { className: 'marker-sets' })
    for (const s of tool.sets) {
      const li = el('li', { className: s.id === tool.currentId ? 'current' : '', data: { markerSet: s.name } }, `${s.name} (${s.kind}, ${s.points.length})`)
      li.addEventListener('click', () => {
        tool.currentId = s.id
        tool.changed()
      })
      sets.append(li)
    }
    const children: Node[] = [el('div', { className: 'marker-head' }, el('strong', { textContent: 'Markers' }), kinds), sets]
    const cur = tool.current()
    if (cur) children.push(this.bar(cur), this.points(cur))
    else children.push(el('p', { className: 'hint', textContent: 'new+ → pointset, then click on the image with the pen (✎) on. Double-click an annotations/*.json in the file tree to load one.' }))
    children.push(el('p', { className: 'marker-status', textContent: this.statusText, data: { markerStatus: '' } }))
    this.root.replaceChildren(...children)
  }

  private bar(set: MarkerSet): HTMLElement {
    const tool = this.tool
    const name = el('span', { className: 'marker-name', textContent: set.name, title: 'click to rename', data: { markerName: '' } })
    name.addEventListener('click', () =>
      editInPlace(name, set.name, (text) => {
        set.name = text
        tool.changed()
      }),
    )
    const pen = button('✎', 'pen', () => tool.setPen(!tool.pen), 'pen: add points by clicking on the image (shift: navigate)')
    pen.setAttribute('aria-pressed', String(tool.pen))
    return el(
      'div',
      { className: 'marker-bar' },
      name,
      pen,
      button('Save', 'save', () => this.actions.save(set), `save as annotations/${set.name}.json in the reference image's study`),
      button('.mrk.json', 'download', () => this.actions.download(set), 'download as 3D Slicer markups'),
      button('delete', 'delete-set', () => tool.remove(set), 'remove this set from the viewer (a saved file stays)'),
    )
  }

  private points(set: MarkerSet): HTMLElement {
    const tool = this.tool
    const list = el('ol', { className: 'marker-points' })
    set.points.forEach((p, i) => {
      const label = el('span', { className: 'marker-label', textContent: p.label, title: 'click to rename', data: { markerLabel: String(i) } })
      label.addEventListener('click', () =>
        editInPlace(label, p.label, (text) => {
          p.label = text
          tool.changed()
        }),
      )
      const del = button('✕', 'delete-point', () => {
        set.points.splice(i, 1)
        tool.changed()
      }, 'delete this point')
      list.append(el('li', { data: { markerPoint: String(i) } }, label, el('span', { className: 'marker-pos', textContent: ` ${p.position.map((x) => x.toFixed(2)).join(', ')} ` }), del))
    })
    return el('div', {}, el('p', { className: 'hint', textContent: `${set.kind}, ${set.points.length} points, RAS mm${set.reference ? ` on ${set.reference}` : ''}` }), list)
  }
}
