/**
 * Renders a reading form (form-spec.ts) into an element: plain DOM, every text from the form set with textContent
 * (a form's labels are user input). `collect()` answers the values, the marker annotations and the validation
 * errors (shown beside their items). markerpoint / markerset items place points with the Marker tool through a
 * MarkerPort; their values are the points' world coordinates (RAS mm).
 */
import { shown, validate, visibleValues, type FieldError, type FormItem, type FormValue, type FormValues, type MarkerValue } from './form-spec'
import { el } from './elements'

/** The Marker tool as the form sees it: one marker set per marker item, named by the item. */
export interface MarkerPort {
  /** Makes the item's set current and turns the pen on (creating the set the first time). */
  activate(name: string, single: boolean): void
  /** The item's points so far. */
  points(name: string): MarkerValue
  /** Removes the item's points. */
  clear(name: string): void
  /** Calls back when any point changes. */
  onChange(listener: () => void): void
}

export interface RenderOptions {
  markers?: MarkerPort
  /** Values to start from (e.g. a result shown again). */
  initial?: FormValues
  /** Prefix of the inputs' ids (several forms on a page: the designer's preview). */
  idPrefix?: string
}

export interface RenderedForm {
  /** The current values of the shown items. */
  values(): FormValues
  /** Values, plus the errors (also shown in the form; empty when it may be submitted). */
  collect(): { values: FormValues; errors: FieldError[] }
}

export function renderForm(host: HTMLElement, form: FormItem, opts: RenderOptions = {}): RenderedForm {
  const prefix = opts.idPrefix ?? 'rf'
  const getters = new Map<string, () => FormValue>()
  const rows = new Map<string, HTMLElement>()
  const subforms: { item: FormItem; box: HTMLElement }[] = []
  const refreshers: (() => void)[] = []
  const id = (name: string, extra = '') => `${prefix}-${name}${extra}`.replace(/[^A-Za-z0-9_-]/g, '_')
  const values = (): FormValues => {
    const out: FormValues = {}
    for (const [name, get] of getters) out[name] = get()
    return out
  }
  const refresh = () => {
    const v = values()
    for (const s of subforms) s.box.hidden = !shown(s.item, v)
  }

  const initial = (it: FormItem): FormValue | undefined => (it.name && opts.initial && it.name in opts.initial ? opts.initial[it.name] : it.default)

  const field = (it: FormItem): HTMLElement => {
    const name = it.name!
    const row = el('div', `rf-item rf-${it.type}`)
    row.dataset.item = name
    const label = el('label', 'rf-label', it.label ?? name)
    if (it.required) label.append(el('span', 'rf-required', ' *'))
    const control = el('div', 'rf-control')
    const start = initial(it)
    switch (it.type) {
      case 'radio':
      case 'radiovert':
      case 'rating': {
        const group = el('div', it.type === 'radiovert' ? 'rf-choices vertical' : 'rf-choices')
        group.setAttribute('role', 'radiogroup')
        group.setAttribute('aria-label', it.label ?? name)
        const opts = it.type === 'rating' ? Array.from({ length: it.max! - it.min! + 1 }, (_, k) => ({ value: String(it.min! + k), label: String(it.min! + k) })) : it.options!
        const inputs = opts.map((o, k) => {
          const input = el('input')
          input.type = 'radio'
          input.name = id(name)
          input.id = id(name, `-${k}`)
          input.value = o.value
          input.checked = start !== undefined && String(start) === o.value
          input.addEventListener('change', refresh)
          const l = el('label', 'rf-choice')
          l.append(input, ` ${o.label}`)
          group.append(l)
          return input
        })
        getters.set(name, () => {
          const v = inputs.find((i) => i.checked)?.value
          return v === undefined ? null : it.type === 'rating' ? Number(v) : v
        })
        control.append(group)
        break
      }
      case 'combo': {
        const select = el('select')
        select.id = id(name)
        select.append(el('option', '', '—'))
        select.options[0]!.value = ''
        for (const o of it.options!) {
          const option = el('option', '', o.label)
          option.value = o.value
          option.selected = start !== undefined && String(start) === o.value
          select.append(option)
        }
        select.addEventListener('change', refresh)
        label.htmlFor = select.id
        getters.set(name, () => (select.value === '' ? null : select.value))
        control.append(select)
        break
      }
      case 'checkbox': {
        const box = el('input')
        box.type = 'checkbox'
        box.id = id(name)
        box.checked = start === true || start === 1 || start === '1'
        box.addEventListener('change', refresh)
        label.htmlFor = box.id
        getters.set(name, () => box.checked)
        control.append(box)
        break
      }
      case 'text': {
        const input = it.multiline ? el('textarea') : el('input')
        if (input instanceof HTMLTextAreaElement) input.rows = 3
        else input.type = 'text'
        input.id = id(name)
        input.value = start === undefined || start === null ? '' : String(start)
        input.maxLength = 10_000
        input.addEventListener('input', refresh)
        label.htmlFor = input.id
        getters.set(name, () => (input.value.trim() === '' ? null : input.value))
        control.append(input)
        break
      }
      case 'number':
      case 'slider': {
        const input = el('input')
        input.type = it.type === 'slider' ? 'range' : 'number'
        input.id = id(name)
        if (it.min !== undefined) input.min = String(it.min)
        if (it.max !== undefined) input.max = String(it.max)
        input.step = it.step === undefined ? 'any' : String(it.step)
        const out = el('output', 'rf-output')
        // A slider always has a position; until it is moved it counts as unanswered (shown as "—").
        let touched = start !== undefined && start !== null
        if (touched) input.value = String(start)
        const show = () => (out.textContent = it.type === 'slider' ? (touched ? input.value : '—') + (it.unit ? ` ${it.unit}` : '') : it.unit ?? '')
        input.addEventListener('input', () => {
          touched = true
          show()
          refresh()
        })
        show()
        label.htmlFor = input.id
        getters.set(name, () => (it.type === 'slider' && !touched) || input.value === '' ? null : Number(input.value))
        control.append(input, out)
        break
      }
      case 'markerpoint':
      case 'markerset': {
        const single = it.type === 'markerpoint'
        const place = el('button', 'rf-marker-place', single ? 'place point' : '+ New marker')
        place.type = 'button'
        const clear = el('button', 'rf-marker-clear', 'clear')
        clear.type = 'button'
        const list = el('span', 'rf-marker-points')
        const port = opts.markers
        if (!port) {
          place.disabled = clear.disabled = true
          place.title = 'markers are placed on the images during a reading'
        }
        const points = () => port?.points(name) ?? (Array.isArray(start) ? (start as MarkerValue) : [])
        const show = () => {
          const p = points()
          list.textContent = p.length ? p.map((x) => `${x.label} (${x.position.map((c) => c.toFixed(1)).join(', ')})`).join('; ') : 'no point yet'
        }
        place.addEventListener('click', () => port?.activate(name, single))
        clear.addEventListener('click', () => {
          port?.clear(name)
          show()
          refresh()
        })
        refreshers.push(show)
        show()
        getters.set(name, () => {
          const p = points()
          return p.length ? p.map((x) => ({ label: x.label, position: [...x.position] as [number, number, number] })) : null
        })
        control.append(place, clear, list)
        break
      }
    }
    row.append(label, control)
    if (it.hint) row.append(el('div', 'rf-hint', it.hint))
    row.append(el('div', 'rf-error'))
    rows.set(name, row)
    return row
  }

  const group = (it: FormItem, into: HTMLElement) => {
    for (const child of it.items ?? []) {
      if (child.type === 'separator') {
        const sep = el('div', 'rf-separator')
        sep.append(el('hr'))
        if (child.label) sep.append(el('span', '', child.label))
        into.append(sep)
      } else if (child.type === 'subform') {
        const box = el('fieldset', 'rf-subform')
        if (child.name) box.dataset.subform = child.name
        if (child.label) box.append(el('legend', '', child.label))
        group(child, box)
        subforms.push({ item: child, box })
        into.append(box)
      } else into.append(field(child))
    }
  }

  const body = el('div', 'reading-form')
  // An item's error goes as soon as it is answered again.
  const clearError = (e: Event) => {
    const row = (e.target as Element | null)?.closest<HTMLElement>('.rf-item')
    if (!row?.classList.contains('invalid')) return
    row.classList.remove('invalid')
    row.querySelector('.rf-error')!.textContent = ''
  }
  body.addEventListener('input', clearError)
  body.addEventListener('change', clearError)
  if (form.label) body.append(el('h4', 'rf-title', form.label))
  group(form, body)
  host.replaceChildren(body)
  opts.markers?.onChange(() => {
    for (const r of refreshers) r()
    refresh()
  })
  refresh()

  return {
    values: () => visibleValues(form, values()),
    collect() {
      const all = values()
      const errors = validate(form, all)
      for (const [name, row] of rows) {
        const e = errors.find((x) => x.name === name)
        row.classList.toggle('invalid', Boolean(e))
        row.querySelector('.rf-error')!.textContent = e ? e.message : ''
      }
      return { values: visibleValues(form, all), errors }
    },
  }
}
