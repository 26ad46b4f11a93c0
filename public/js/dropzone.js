// Drag files from the local disk onto the desktop (the table side, or the drop zone of the upload section), pick
// the target study (an existing one, a new PID#SID, or "use native PID" for DICOM), and upload them one after the
// other with a progress bar per file. NIfTI etc. are stored into the study (POST /api/projects/P/files); DICOM
// files and zips are imported, and their import is followed to its end. Drops on the viewer are the viewer's.
// File names are hostile: everything shown is set with textContent.
;(function () {
  if (window.__noraDropzone) return
  window.__noraDropzone = true
  const $ = (id) => document.getElementById(id)
  let queue = []

  const accepts = (ev) => ev.dataTransfer && [...ev.dataTransfer.types].includes('Files')
  const zoneOf = (t) => (t instanceof Element ? t.closest('.workspace-left, #drop-zone') : null)
  const project = () => ($('drop-zone') && $('drop-zone').dataset.project) || ''
  const human = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`)

  document.addEventListener('dragover', (ev) => {
    if (!accepts(ev) || !zoneOf(ev.target)) return
    ev.preventDefault() // else the browser would open the file in place of the desktop
    ev.dataTransfer.dropEffect = $('drop-dialog') ? 'copy' : 'none'
    if ($('drop-dialog')) document.body.classList.add('dropping')
  })
  document.addEventListener('dragleave', (ev) => {
    if (!ev.relatedTarget || !zoneOf(ev.relatedTarget)) document.body.classList.remove('dropping')
  })
  document.addEventListener('drop', (ev) => {
    document.body.classList.remove('dropping')
    if (!accepts(ev) || !zoneOf(ev.target)) return
    ev.preventDefault()
    if ($('drop-dialog')) return open([...ev.dataTransfer.files])
    const note = $('table-note')
    if (note) note.textContent = 'uploading into this project needs the write right'
  })
  document.addEventListener('change', (ev) => {
    if (ev.target instanceof HTMLInputElement && ev.target.id === 'drop-input' && ev.target.files.length) {
      open([...ev.target.files])
      ev.target.value = ''
    }
  })

  /** Shows the dialog with the dropped files and the target choice. */
  function open(files) {
    if (!files.length) return
    queue = files.map((file) => {
      const li = document.createElement('li')
      const name = document.createElement('span')
      name.className = 'fname'
      name.textContent = `${file.name} (${human(file.size)})`
      const bar = document.createElement('progress')
      bar.max = Math.max(file.size, 1)
      bar.value = 0
      const st = document.createElement('span')
      st.className = 'state muted'
      st.textContent = 'waiting'
      li.append(name, bar, st)
      return { file, li, bar, st, done: false }
    })
    $('drop-files').replaceChildren(...queue.map((q) => q.li))
    const list = $('drop-psids')
    list.replaceChildren(
      ...[...document.querySelectorAll('#table-body tr.study')].map((tr) => {
        const o = document.createElement('option')
        o.value = tr.dataset.psid
        return o
      }),
    )
    const selected = window.noraSelectedStudy && window.noraSelectedStudy()
    if (selected && !$('drop-psid').value) $('drop-psid').value = selected
    const dicomOnly = files.every((f) => /\.(dcm|zip|tar|tgz|tar\.gz)$/i.test(f.name) || !/\.\w+$/.test(f.name))
    document.querySelector('#drop-form input[name=mode][value=native]').checked = dicomOnly
    document.querySelector('#drop-form input[name=mode][value=study]').checked = !dicomOnly
    $('drop-status').textContent = ''
    $('drop-upload').disabled = false
    $('drop-dialog').showModal()
  }

  document.addEventListener('click', (ev) => {
    if (ev.target instanceof Element && ev.target.closest('#drop-close')) $('drop-dialog').close()
  })

  document.addEventListener('submit', async (ev) => {
    if (!(ev.target instanceof HTMLFormElement) || ev.target.id !== 'drop-form') return
    ev.preventDefault()
    const native = document.querySelector('#drop-form input[name=mode]:checked').value === 'native'
    const psid = $('drop-psid').value.trim()
    const folder = $('drop-folder').value.trim()
    if (!native && !/^[^#]+#[^#]+$/.test(psid)) return ($('drop-status').textContent = 'give the target study as PATIENTS_ID#STUDIES_ID, or choose "use native PID"')
    $('drop-upload').disabled = true
    let ok = 0
    for (const q of queue) if (!q.done && (await send(q, { native, psid, folder }))) ok++
    $('drop-status').textContent = `${ok} of ${queue.length} uploaded`
    $('drop-upload').disabled = false
    if (window.noraRefreshTable) window.noraRefreshTable()
  })

  /** Uploads one file with XHR (for its upload progress); resolves true when it is in the archive. */
  function send(q, t) {
    return new Promise((resolve) => {
      const p = new URLSearchParams({ name: q.file.name })
      if (t.native) p.set('native', '1')
      else {
        p.set('psid', t.psid)
        if (t.folder) p.set('folder', t.folder)
      }
      const xhr = new XMLHttpRequest()
      xhr.open('POST', `/api/projects/${encodeURIComponent(project())}/files?${p}`)
      xhr.setRequestHeader('X-CSRF-Token', document.body.dataset.csrf || '')
      xhr.setRequestHeader('accept', 'application/json')
      xhr.setRequestHeader('content-type', 'application/octet-stream')
      q.st.textContent = 'uploading'
      q.li.className = 'uploading'
      xhr.upload.onprogress = (e) => {
        if (!e.lengthComputable) return
        q.bar.max = e.total
        q.bar.value = e.loaded
        q.st.textContent = `${Math.round((100 * e.loaded) / e.total)}%`
      }
      xhr.onload = () => {
        let body = {}
        try {
          body = JSON.parse(xhr.responseText)
        } catch {}
        if (xhr.status === 201) {
          q.bar.value = q.bar.max
          q.st.textContent = `stored as ${body.path}`
          q.li.className = 'done'
          q.done = true
          return resolve(true)
        }
        if (xhr.status === 202) {
          q.bar.value = q.bar.max
          q.st.textContent = `import ${body.id} queued`
          return follow(q, body.status, resolve)
        }
        q.li.className = 'failed'
        q.st.textContent = `refused (${xhr.status}): ${body.error || xhr.statusText}`
        resolve(false)
      }
      xhr.onerror = () => {
        q.li.className = 'failed'
        q.st.textContent = 'failed: the connection broke'
        resolve(false)
      }
      xhr.send(q.file)
    })
  }

  /** Follows an import to its end. */
  function follow(q, url, resolve) {
    fetch(url, { headers: { accept: 'application/json' } })
      .then((r) => r.json())
      .then((s) => {
        const c = s.counts || {}
        q.st.textContent = `import ${s.id}: ${s.state} (${s.phase}) ${c.series || 0} series, ${c.errors || 0} errors`
        if (s.state === 'queued' || s.state === 'running') return setTimeout(() => follow(q, url, resolve), 500)
        q.done = s.state === 'done'
        q.li.className = q.done ? 'done' : 'failed'
        resolve(q.done)
      })
      .catch((e) => {
        q.st.textContent = `could not read the import's state: ${e}`
        resolve(false)
      })
  }
})()
