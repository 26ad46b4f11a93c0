// "Upload dicoms (as zip/tar)": sends the archive with an upload progress bar, then follows the import's progress
// and shows its report. Everything shown is set with textContent: file names from the archive are hostile.
// The form may arrive later in an htmx swap, so the listener sits on the document.
import { byId, targetOf } from '../shared/dom'
import { followImport, importSummary, percent, refusal, uploadWithProgress, type ImportState } from '../shared/upload-and-follow'

const say = (text: string) => {
  const status = byId('upload-status')
  if (status) status.textContent = text
}

function show(s: ImportState) {
  const bar = byId<HTMLProgressElement>('upload-progress')
  if (bar) {
    bar.max = Math.max(s.total, 1)
    bar.value = s.done
  }
  say(importSummary(s))
  byId('upload-report')?.replaceChildren(
    ...(s.problems || []).map((p) => {
      const li = document.createElement('li')
      li.textContent = `${p.kind}: ${p.file}: ${p.message}`
      return li
    }),
  )
}

document.addEventListener('submit', async (ev) => {
  const form = targetOf(ev)
  if (!(form instanceof HTMLFormElement) || form.id !== 'upload-form') return
  ev.preventDefault()
  const input = form.querySelector<HTMLInputElement>('input[type=file]')
  const bar = byId<HTMLProgressElement>('upload-progress')
  const file = input?.files?.[0]
  if (!file) return say('choose a zip or tar file first')
  let answer
  try {
    answer = await uploadWithProgress(form.action, file, (loaded, total) => {
      if (bar) {
        bar.max = total
        bar.value = loaded
      }
      say(`uploading ${file.name}: ${percent(loaded, total)}%`)
    })
  } catch {
    return say('upload failed: the connection broke')
  }
  if (answer.status !== 202) return say(`upload refused ${refusal(answer)}`)
  say(`uploaded; import ${answer.body.id} queued`)
  try {
    await followImport(String(answer.body.status), show)
  } catch (e) {
    say(`could not read the import's state: ${e}`)
  }
})
