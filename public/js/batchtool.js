// The Batchtool (Alpine CSP component "batchtool"): compose a batch of generic BASH/Python/MATLAB jobs, with one
// argument row per $f1.. $o1.. $p1.. $n1.. $s1.. the script mentions (FILE/OUT/PATHOUT rows carry a study reference
// at subject level); save/load it in the project's batch list; preview the resolved inputs per study or subject of
// the selection; launch it. Data from the server is shown with x-text (never HTML).
;(function () {
  const REF = /(\\)?\$(?:\{([fopns][1-9])\}|([fopns][1-9])(?![A-Za-z0-9_]))/g
  const TYPE_OF = { f: 'FILE', o: 'OUT', p: 'PATHOUT', n: 'NUMERIC', s: 'STRING' }
  const ORDER = 'fopns'
  const TYPES = ['FILE', 'OUT', 'PATHOUT', 'NUMERIC', 'STRING', 'LOGICAL', 'OPTION']
  const HINT = { FILE: 'file pattern, e.g. t1*/s0__.nii', OUT: 'output file, e.g. out/result.nii', PATHOUT: 'output folder, e.g. out/', NUMERIC: 'a number', STRING: 'text', LOGICAL: '', OPTION: 'one of the job\'s options' }
  let uid = 0

  /** The generic arguments a script mentions, in order f, o, p, n, s and by number. */
  function references(script) {
    const seen = new Set()
    REF.lastIndex = 0
    for (let m = REF.exec(script); m; m = REF.exec(script)) if (!m[1]) seen.add(m[2] || m[3])
    return [...seen].sort((a, b) => (ORDER.indexOf(a[0]) - ORDER.indexOf(b[0])) || (Number(a[1]) - Number(b[1])))
  }

  function row(name, type, value, fixed) {
    const out = { uid: ++uid, name, type, value: value === undefined ? '' : value, tags: '', study: '', fixed, hint: HINT[type] || '' }
    if (type === 'OUT' && typeof out.value === 'string') {
      const m = /^(.*?)\s+TAG\(([^)]*)\)\s*$/.exec(out.value)
      if (m) {
        out.value = m[1]
        out.tags = m[2]
      }
    }
    if (type === 'LOGICAL') out.value = out.value === true || out.value === 'true'
    return out
  }

  const TITLES = { bash: 'BASH', python: 'Python', matlab: 'MATLAB' }
  const STUDY_REF_TYPES = ['FILE', 'OUT', 'PATHOUT']

  function newJob(type) {
    return { uid: ++uid, type, name: `${type} job`, script: '', interpreter: '', rows: [], queue: '', timeMinutes: '', memMb: '', cpus: '' }
  }

  /** Rows for what the script mentions (keeping what was typed), then the user's own named rows. */
  function syncRows(job) {
    const refs = references(job.script)
    const old = new Map(job.rows.map((r) => [r.name, r]))
    const rows = refs.map((n) => old.get(n) || row(n, TYPE_OF[n[0]], '', true))
    for (const r of job.rows) if (!r.fixed) rows.push(r)
    job.rows = rows
  }

  function argValue(r) {
    if (r.type === 'OUT') return r.tags.trim() ? `${String(r.value).trim()} TAG(${r.tags.trim()})` : String(r.value).trim()
    if (r.type === 'LOGICAL') return !!r.value
    return typeof r.value === 'string' ? r.value.trim() : r.value
  }

  async function api(method, url, body) {
    const headers = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (method !== 'GET') headers['x-csrf-token'] = document.body.dataset.csrf || ''
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' })
    const data = await res.json().catch(() => ({}))
    if (!res.ok) throw new Error(data.error || `${res.status} ${res.statusText}`)
    return data
  }

  document.addEventListener('alpine:init', () => {
    window.Alpine.data('batchtool', () => ({
      project: '',
      canWrite: false,
      types: TYPES,
      jobs: [],
      saved: [],
      savedName: '',
      loadName: '',
      level: 'study',
      stopOnError: false,
      filter: '',
      studies: [],
      studiesTotal: 0,
      preview: null,
      message: '',
      error: '',
      busy: false,

      init() {
        this.project = this.$el.dataset.project
        this.canWrite = this.$el.dataset.canWrite === 'true'
        const params = new URLSearchParams(location.search)
        this.filter = params.get('filter') || ''
        this.refreshSaved()
        this.loadStudies(params.get('studies') ? params.get('studies').split(',') : null)
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
      hasStudyRef(r) {
        return this.level === 'subject' && STUDY_REF_TYPES.includes(r.type)
      },
      studyRefHint(r) {
        return r.type === 'FILE' ? 'any study (first match)' : 'first study'
      },
      unitWord(n) {
        return this.level === 'subject' ? (n === 1 ? 'subject' : 'subjects') : n === 1 ? 'study' : 'studies'
      },
      removeJob(job) {
        this.jobs = this.jobs.filter((j) => j !== job)
      },
      moveUp(job) {
        const i = this.jobs.indexOf(job)
        if (i > 0) this.jobs.splice(i - 1, 2, this.jobs[i], this.jobs[i - 1])
      },
      sync(job) {
        syncRows(job)
      },
      addArg(job) {
        const n = job.rows.filter((r) => !r.fixed).length + 1
        job.rows.push(row(`arg${n}`, 'STRING', '', false))
      },
      removeArg(job, r) {
        job.rows = job.rows.filter((x) => x !== r)
      },
      retype(r) {
        r.hint = HINT[r.type] || ''
        if (r.type === 'LOGICAL') r.value = false
      },
      jobTitle(job, index) {
        return `Job ${index + 1}: ${TITLES[job.type] || job.type}`
      },

      batch() {
        return {
          name: this.savedName.trim(),
          level: this.level,
          jobs: this.jobs.map((j) => {
            const args = {}
            for (const r of j.rows) {
              const study = this.level === 'subject' && STUDY_REF_TYPES.includes(r.type) ? String(r.study || '').trim() : ''
              args[r.name] = r.fixed && !study ? argValue(r) : { type: r.type, value: argValue(r), ...(study && { study }) }
            }
            const out = { type: j.type, name: j.name.trim() || j.type, script: j.script, args }
            if (j.type === 'python' && j.interpreter.trim()) out.interpreter = j.interpreter.trim()
            // Cluster resources (Slurm/SGE): only what was filled in; the project's defaults do the rest.
            const resources = {}
            if (String(j.queue).trim()) resources.queue = String(j.queue).trim()
            for (const k of ['timeMinutes', 'memMb', 'cpus']) if (String(j[k]).trim()) resources[k] = Number(j[k])
            if (Object.keys(resources).length) out.resources = resources
            return out
          }),
        }
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
      say(message, error) {
        this.message = message || ''
        this.error = error || ''
      },

      async refreshSaved() {
        try {
          this.saved = (await api('GET', `/api/projects/${encodeURIComponent(this.project)}/batches`)).batches
        } catch (e) {
          this.say('', e.message)
        }
      },
      async save() {
        if (!this.savedName.trim()) return this.say('', 'give the batch a name to save it under')
        try {
          await api('POST', `/api/projects/${encodeURIComponent(this.project)}/batches`, { name: this.savedName.trim(), batch: this.batch() })
          this.say(`saved "${this.savedName.trim()}" in the batch list`)
          await this.refreshSaved()
        } catch (e) {
          this.say('', e.message)
        }
      },
      async load(name) {
        try {
          const b = (await api('GET', `/api/projects/${encodeURIComponent(this.project)}/batches/${encodeURIComponent(name)}`)).batch
          this.savedName = name
          this.level = b.level || 'study'
          this.jobs = (b.jobs || []).map((j) => {
            const job = newJob(TITLES[j.type] ? j.type : 'bash')
            job.name = j.name || job.name
            job.script = j.script || ''
            job.interpreter = j.interpreter || ''
            const res = j.resources || {}
            job.queue = res.queue || ''
            for (const k of ['timeMinutes', 'memMb', 'cpus']) job[k] = res[k] === undefined ? '' : String(res[k])
            const refs = references(job.script)
            for (const [k, v] of Object.entries(j.args || {})) {
              const typed = v !== null && typeof v === 'object'
              const fixed = refs.includes(k) && (!typed || !v.type || String(v.type).toUpperCase() === TYPE_OF[k[0]])
              const r = row(k, typed && v.type ? String(v.type).toUpperCase() : TYPE_OF[k[0]] || 'STRING', typed ? v.value : v, fixed)
              if (typed && v.study) r.study = String(v.study)
              job.rows.push(r)
            }
            syncRows(job)
            return job
          })
          this.say(`loaded "${name}"`)
        } catch (e) {
          this.say('', e.message)
        }
      },
      loadSaved(s) {
        return this.load(s.name)
      },
      async remove(s) {
        try {
          await api('DELETE', `/api/projects/${encodeURIComponent(this.project)}/batches/${encodeURIComponent(s.name)}`)
          this.say(`deleted "${s.name}"`)
          await this.refreshSaved()
        } catch (e) {
          this.say('', e.message)
        }
      },

      async loadStudies(only) {
        try {
          const q = new URLSearchParams({ limit: '1000' })
          if (this.filter.trim()) q.set('file', this.filter.trim())
          const page = await api('GET', `/api/projects/${encodeURIComponent(this.project)}/studies?${q}`)
          this.studiesTotal = page.total
          this.studies = page.rows
            .filter((r) => r.studies_id)
            .map((r) => {
              const psid = `${r.patients_id}#${r.studies_id}`
              return { psid, label: `${psid}${r.description ? ` · ${r.description}` : ''}`, checked: only ? only.includes(psid) : true }
            })
        } catch (e) {
          this.say('', e.message)
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
          const p = await api('POST', `/api/projects/${encodeURIComponent(this.project)}/batches/preview`, { batch: this.batch(), studies: this.selected(), level: this.level })
          p.unit = this.unitWord(p.total)
          this.preview = p
          const bad = p.studies.filter((s) => !s.ok).length
          this.say(`preview of ${p.shown} of ${p.total} ${p.unit}${bad ? `: ${bad} would fail` : ': all inputs found'}`)
        } catch (e) {
          this.say('', e.message)
        } finally {
          this.busy = false
        }
      },
      async launch() {
        if (!this.jobs.length) return this.say('', 'add a job from the menu first')
        if (!this.selectedCount()) return this.say('', 'tick at least one study of the selection')
        this.busy = true
        try {
          const r = await api('POST', `/api/projects/${encodeURIComponent(this.project)}/batches/launch`, { batch: this.batch(), studies: this.selected(), level: this.level, throwerror: this.stopOnError })
          this.say(`batch ${r.batchId} launched on ${r.runs} ${this.unitWord(r.runs)}; see Gridstats`)
          this.lastBatch = r.batchId
        } catch (e) {
          this.say('', e.message)
        } finally {
          this.busy = false
        }
      },
      lastBatch: 0,
      gridstatsLink() {
        return this.lastBatch ? `/gridstats?batch=${this.lastBatch}&finished=1` : '/gridstats'
      },
      argText(a) {
        if (a.error) return a.error
        if (a.note) return `${a.value} (${a.note})`
        const from = this.level === 'subject' && a.studies && a.studies.length ? ` [${a.study ? `${a.study} → ` : ''}${a.studies.join(', ')}]` : ''
        return (a.matches > 1 ? `${a.value} (+${a.matches - 1} more)` : String(a.value)) + from
      },
    }))
  })
})()
