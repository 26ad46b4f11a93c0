// The Batchtool (Alpine CSP component "batchtool"): compose a batch of generic BASH/Python/MATLAB jobs, with one
// argument row per $f1.. $o1.. $p1.. $n1.. $s1.. the script mentions (FILE/OUT/PATHOUT rows carry a study reference
// at subject level); save/load it in the project's batch list; preview the resolved inputs per study or subject of
// the selection; launch it. Data from the server is shown with x-text (never HTML). The model is batchtool-model.ts.
import { api, messageOf } from '../shared/dom'
import { alpineComponent } from '../shared/vendor'
import { argText, batchOf, HINT, jobFromSaved, newJob, row, STUDY_REF_TYPES, syncRows, TITLES, TYPES, unitWord, type ArgRow, type Job, type Level } from './batchtool-model'
import { withBase } from '../shared/base-path'

interface Study {
  psid: string
  label: string
  checked: boolean
}
interface Preview {
  shown: number
  total: number
  unit?: string
  studies: { ok: boolean }[]
}

alpineComponent('batchtool', () => ({
  project: '',
  canWrite: false,
  types: TYPES,
  jobs: [] as Job[],
  saved: [] as { name: string }[],
  savedName: '',
  loadName: '',
  level: 'study' as Level,
  stopOnError: false,
  filter: '',
  studies: [] as Study[],
  studiesTotal: 0,
  preview: null as Preview | null,
  message: '',
  error: '',
  busy: false,
  lastBatch: 0,

  init() {
    const el = (this as unknown as { $el: HTMLElement }).$el // Alpine's magic: the component's root
    this.project = el.dataset.project ?? ''
    this.canWrite = el.dataset.canWrite === 'true'
    const params = new URLSearchParams(location.search)
    this.filter = params.get('filter') || ''
    void this.refreshSaved()
    const studies = params.get('studies')
    void this.loadStudies(studies ? studies.split(',') : null)
  },

  base() {
    return `/api/projects/${encodeURIComponent(this.project)}`
  },
  addBash() {
    this.jobs.push(newJob('bash'))
  },
  addPython() {
    this.jobs.push(newJob('python'))
  },
  addMatlab() {
    this.jobs.push(newJob('matlab'))
  },
  /** Subject level: FILE/OUT/PATHOUT rows say in which study of the subject (empty: the level's default). */
  hasStudyRef(r: ArgRow) {
    return this.level === 'subject' && STUDY_REF_TYPES.includes(r.type)
  },
  studyRefHint(r: ArgRow) {
    return r.type === 'FILE' ? 'any study (first match)' : 'first study'
  },
  unitWord(n: number) {
    return unitWord(this.level, n)
  },
  removeJob(job: Job) {
    this.jobs = this.jobs.filter((j) => j !== job)
  },
  moveUp(job: Job) {
    const i = this.jobs.indexOf(job)
    if (i > 0) this.jobs.splice(i - 1, 2, this.jobs[i]!, this.jobs[i - 1]!)
  },
  sync(job: Job) {
    syncRows(job)
  },
  addArg(job: Job) {
    const n = job.rows.filter((r) => !r.fixed).length + 1
    job.rows.push(row(`arg${n}`, 'STRING', '', false))
  },
  removeArg(job: Job, r: ArgRow) {
    job.rows = job.rows.filter((x) => x !== r)
  },
  retype(r: ArgRow) {
    r.hint = HINT[r.type] || ''
    if (r.type === 'LOGICAL') r.value = false
  },
  jobTitle(job: Job, index: number) {
    return `Job ${index + 1}: ${TITLES[job.type] || job.type}`
  },

  batch() {
    return batchOf(this.savedName, this.level, this.jobs)
  },
  selected() {
    return this.studies.filter((s) => s.checked).map((s) => s.psid)
  },
  selectedCount() {
    return this.selected().length
  },
  /** How many runs a launch makes: ticked studies, or their subjects at subject level. */
  runCount() {
    const sel = this.selected()
    return this.level === 'subject' ? new Set(sel.map((p) => p.split('#')[0])).size : sel.length
  },
  say(message?: string, error?: string) {
    this.message = message || ''
    this.error = error || ''
  },

  async refreshSaved() {
    try {
      this.saved = (await api<{ batches: { name: string }[] }>('GET', `${this.base()}/batches`)).batches
    } catch (e) {
      this.say('', messageOf(e))
    }
  },
  async save() {
    if (!this.savedName.trim()) return this.say('', 'give the batch a name to save it under')
    try {
      await api('POST', `${this.base()}/batches`, { name: this.savedName.trim(), batch: this.batch() })
      this.say(`saved "${this.savedName.trim()}" in the batch list`)
      await this.refreshSaved()
    } catch (e) {
      this.say('', messageOf(e))
    }
  },
  async load(name: string) {
    try {
      const b = (await api<{ batch: { level?: Level; jobs?: Parameters<typeof jobFromSaved>[0][] } }>('GET', `${this.base()}/batches/${encodeURIComponent(name)}`)).batch
      this.savedName = name
      this.level = b.level || 'study'
      this.jobs = (b.jobs || []).map(jobFromSaved)
      this.say(`loaded "${name}"`)
    } catch (e) {
      this.say('', messageOf(e))
    }
  },
  loadSaved(s: { name: string }) {
    return this.load(s.name)
  },
  async remove(s: { name: string }) {
    try {
      await api('DELETE', `${this.base()}/batches/${encodeURIComponent(s.name)}`)
      this.say(`deleted "${s.name}"`)
      await this.refreshSaved()
    } catch (e) {
      this.say('', messageOf(e))
    }
  },

  async loadStudies(only: string[] | null) {
    try {
      const q = new URLSearchParams({ limit: '1000' })
      if (this.filter.trim()) q.set('file', this.filter.trim())
      const page = await api<{ total: number; rows: { patients_id: string; studies_id?: string; description?: string }[] }>('GET', `${this.base()}/studies?${q}`)
      this.studiesTotal = page.total
      this.studies = page.rows
        .filter((r) => r.studies_id)
        .map((r) => {
          const psid = `${r.patients_id}#${r.studies_id}`
          return { psid, label: `${psid}${r.description ? ` · ${r.description}` : ''}`, checked: only ? only.includes(psid) : true }
        })
    } catch (e) {
      this.say('', messageOf(e))
    }
  },
  applyFilter() {
    return this.loadStudies(null)
  },
  selectAll() {
    for (const s of this.studies) s.checked = true
  },
  selectNone() {
    for (const s of this.studies) s.checked = false
  },

  async runPreview() {
    this.preview = null
    if (!this.jobs.length) return this.say('', 'add a job from the menu first')
    if (!this.selectedCount()) return this.say('', 'tick at least one study of the selection')
    this.busy = true
    try {
      const p = await api<Preview>('POST', `${this.base()}/batches/preview`, { batch: this.batch(), studies: this.selected(), level: this.level })
      p.unit = this.unitWord(p.total)
      this.preview = p
      const bad = p.studies.filter((s) => !s.ok).length
      this.say(`preview of ${p.shown} of ${p.total} ${p.unit}${bad ? `: ${bad} would fail` : ': all inputs found'}`)
    } catch (e) {
      this.say('', messageOf(e))
    } finally {
      this.busy = false
    }
  },
  async launch() {
    if (!this.jobs.length) return this.say('', 'add a job from the menu first')
    if (!this.selectedCount()) return this.say('', 'tick at least one study of the selection')
    this.busy = true
    try {
      const r = await api<{ batchId: number; runs: number }>('POST', `${this.base()}/batches/launch`, { batch: this.batch(), studies: this.selected(), level: this.level, throwerror: this.stopOnError })
      this.say(`batch ${r.batchId} launched on ${r.runs} ${this.unitWord(r.runs)}; see Gridstats`)
      this.lastBatch = r.batchId
    } catch (e) {
      this.say('', messageOf(e))
    } finally {
      this.busy = false
    }
  },
  gridstatsLink() {
    return withBase(this.lastBatch ? `/gridstats?batch=${this.lastBatch}&finished=1` : '/gridstats')
  },
  argText(a: Parameters<typeof argText>[0]) {
    return argText(a, this.level)
  },
}))
