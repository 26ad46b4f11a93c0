// "Upload dicoms (as zip/tar)": sends the archive with an upload progress bar, then follows the import's progress
// and shows its report. Everything shown is set with textContent: file names from the archive are hostile.
// The form may arrive later in an htmx swap, so the listener sits on the document.
;(function () {
  const el = (id) => document.getElementById(id)
  const say = (text) => (el('upload-status').textContent = text)

  function poll(url) {
    fetch(url, { headers: { accept: 'application/json' } })
      .then((r) => r.json())
      .then((s) => {
        const c = s.counts || {}
        const bar = el('upload-progress')
        bar.max = Math.max(s.total, 1)
        bar.value = s.done
        say(`import ${s.id}: ${s.state} (${s.phase}) ${s.done}/${s.total || '?'} series; ${c.patients} patients, ${c.studies} studies, ${c.series} series, ${c.instances} instances, ${c.skipped} skipped, ${c.errors} errors`)
        el('upload-report').replaceChildren(
          ...(s.problems || []).map((p) => {
            const li = document.createElement('li')
            li.textContent = `${p.kind}: ${p.file}: ${p.message}`
            return li
          }),
        )
        if (s.state === 'queued' || s.state === 'running') setTimeout(() => poll(url), 500)
      })
      .catch((e) => say(`could not read the import's state: ${e}`))
  }

  document.addEventListener('submit', (ev) => {
    const form = ev.target
    if (!(form instanceof HTMLFormElement) || form.id !== 'upload-form') return
    ev.preventDefault()
    const input = form.querySelector('input[type=file]')
    const bar = el('upload-progress')
    const csrf = document.body.dataset.csrf || ''
    const file = input.files && input.files[0]
    if (!file) return say('choose a zip or tar file first')
    const xhr = new XMLHttpRequest()
    xhr.open('POST', form.action)
    xhr.setRequestHeader('X-CSRF-Token', csrf)
    xhr.setRequestHeader('content-type', 'application/octet-stream')
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return
      bar.max = e.total
      bar.value = e.loaded
      say(`uploading ${file.name}: ${Math.round((100 * e.loaded) / e.total)}%`)
    }
    xhr.onload = () => {
      let body = {}
      try {
        body = JSON.parse(xhr.responseText)
      } catch {}
      if (xhr.status !== 202) return say(`upload refused (${xhr.status}): ${body.error || xhr.statusText}`)
      say(`uploaded; import ${body.id} queued`)
      poll(body.status)
    }
    xhr.onerror = () => say('upload failed: the connection broke')
    xhr.send(file)
  })
})()
