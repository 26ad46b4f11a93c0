// Drag files from the local disk onto the desktop (the table side, or the drop zone of the upload dialog), pick
// the target study (an existing one, a new PID#SID, or "use native PID" for DICOM), and upload them one after the
// other with a progress bar per file. NIfTI etc. are stored into the study (POST /api/projects/P/files); DICOM
// files and zips are imported, and their import is followed to its end. Drops on the viewer are the viewer's.
// File names are hostile: everything shown is set with textContent.
import { emit, on } from '../shared/bus'
import { byId, targetOf } from '../shared/dom'
import { followImport, importShort, percent, refusal, uploadWithProgress } from '../shared/upload-and-follow'
import { dropTarget, humanSize, looksDicomOnly, type DropTarget } from './drop-target'

interface Queued {
  file: File
  li: HTMLLIElement
  bar: HTMLProgressElement
  st: HTMLSpanElement
  done: boolean
}

let queue: Queued[] = []
/** The study last selected in the table (the table tells it on the bus). */
let selectedStudy: string | null = null

const accepts = (ev: DragEvent) => ev.dataTransfer !== null && [...ev.dataTransfer.types].includes('Files')
const zoneOf = (t: EventTarget | null) => (t instanceof Element ? t.closest('.ws-left, #drop-zone') : null)
const project = () => byId('drop-zone')?.dataset.project || ''
const input = (id: string) => byId<HTMLInputElement>(id)!

export function wireDropzone(): void {
  on('nora:study-selected', (d) => {
    selectedStudy = d?.psid ?? null
  })
  document.addEventListener('dragover', (ev) => {
    if (!accepts(ev) || !zoneOf(ev.target)) return
    ev.preventDefault() // else the browser would open the file in place of the desktop
    ev.dataTransfer!.dropEffect = byId('drop-dialog') ? 'copy' : 'none'
    if (byId('drop-dialog')) document.body.classList.add('dropping')
  })
  document.addEventListener('dragleave', (ev) => {
    if (!ev.relatedTarget || !zoneOf(ev.relatedTarget)) document.body.classList.remove('dropping')
  })
  document.addEventListener('drop', (ev) => {
    document.body.classList.remove('dropping')
    if (!accepts(ev) || !zoneOf(ev.target)) return
    ev.preventDefault()
    if (byId('drop-dialog')) return open([...ev.dataTransfer!.files])
    const note = byId('table-note')
    if (note) note.textContent = 'uploading into this project needs the write right'
  })
  document.addEventListener('change', (ev) => {
    const t = ev.target
    if (t instanceof HTMLInputElement && t.id === 'drop-input' && t.files?.length) {
      open([...t.files])
      t.value = ''
    }
  })
  document.addEventListener('click', (ev) => {
    if (targetOf(ev)?.closest('#drop-close')) byId<HTMLDialogElement>('drop-dialog')!.close()
  })
  document.addEventListener('submit', async (ev) => {
    if (!(ev.target instanceof HTMLFormElement) || ev.target.id !== 'drop-form') return
    ev.preventDefault()
    const mode = document.querySelector<HTMLInputElement>('#drop-form input[name=mode]:checked')!.value
    const t = dropTarget(mode === 'native', input('drop-psid').value, input('drop-folder').value)
    const status = byId('drop-status')!
    if (typeof t === 'string') return void (status.textContent = t)
    const button = byId<HTMLButtonElement>('drop-upload')!
    button.disabled = true
    let ok = 0
    for (const q of queue) if (!q.done && (await send(q, t))) ok++
    status.textContent = `${ok} of ${queue.length} uploaded`
    button.disabled = false
    emit('nora:table-changed')
  })
}

/** Shows the dialog with the dropped files and the target choice. */
function open(files: File[]) {
  if (!files.length) return
  queue = files.map((file) => {
    const li = document.createElement('li')
    const name = document.createElement('span')
    name.className = 'fname'
    name.textContent = `${file.name} (${humanSize(file.size)})`
    const bar = document.createElement('progress')
    bar.max = Math.max(file.size, 1)
    bar.value = 0
    const st = document.createElement('span')
    st.className = 'state muted'
    st.textContent = 'waiting'
    li.append(name, bar, st)
    return { file, li, bar, st, done: false }
  })
  byId('drop-files')!.replaceChildren(...queue.map((q) => q.li))
  byId('drop-psids')!.replaceChildren(
    ...[...document.querySelectorAll<HTMLElement>('#table-body tr.study')].map((tr) => {
      const o = document.createElement('option')
      o.value = tr.dataset.psid ?? ''
      return o
    }),
  )
  if (selectedStudy && !input('drop-psid').value) input('drop-psid').value = selectedStudy
  byId<HTMLDialogElement>('upload-dialog')?.close() // the drop dialog takes over from the upload dialog
  const dicomOnly = looksDicomOnly(files.map((f) => f.name))
  document.querySelector<HTMLInputElement>('#drop-form input[name=mode][value=native]')!.checked = dicomOnly
  document.querySelector<HTMLInputElement>('#drop-form input[name=mode][value=study]')!.checked = !dicomOnly
  byId('drop-status')!.textContent = ''
  byId<HTMLButtonElement>('drop-upload')!.disabled = false
  byId<HTMLDialogElement>('drop-dialog')!.showModal()
}

/** Uploads one file; resolves true when it is in the archive (stored, or imported to the end). */
async function send(q: Queued, t: DropTarget): Promise<boolean> {
  const p = new URLSearchParams({ name: q.file.name })
  if (t.native) p.set('native', '1')
  else {
    p.set('psid', t.psid)
    if (t.folder) p.set('folder', t.folder)
  }
  q.st.textContent = 'uploading'
  q.li.className = 'uploading'
  let answer
  try {
    answer = await uploadWithProgress(`/api/projects/${encodeURIComponent(project())}/files?${p}`, q.file, (loaded, total) => {
      q.bar.max = total
      q.bar.value = loaded
      q.st.textContent = `${percent(loaded, total)}%`
    }, { accept: 'application/json' })
  } catch {
    q.li.className = 'failed'
    q.st.textContent = 'failed: the connection broke'
    return false
  }
  if (answer.status === 201) {
    q.bar.value = q.bar.max
    q.st.textContent = `stored as ${answer.body.path}`
    q.li.className = 'done'
    q.done = true
    return true
  }
  if (answer.status !== 202) {
    q.li.className = 'failed'
    q.st.textContent = `refused ${refusal(answer)}`
    return false
  }
  q.bar.value = q.bar.max
  q.st.textContent = `import ${answer.body.id} queued`
  try {
    const s = await followImport(String(answer.body.status), (s) => (q.st.textContent = importShort(s)))
    q.done = s.state === 'done'
    q.li.className = q.done ? 'done' : 'failed'
    return q.done
  } catch (e) {
    q.st.textContent = `could not read the import's state: ${e}`
    return false
  }
}
