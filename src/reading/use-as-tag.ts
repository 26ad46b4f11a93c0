import { checkTag } from '../archive/tags-service'
import type { FormInput } from './form'

/**
 * Form items with `useastag: 1` also tag the case's study (or patient) in the patient table: a radio / radiovert /
 * combo item tags the chosen option (and untags its other options), a checkbox tags its name when checked and untags
 * it when not. Options that are no valid tag (spaces, commas...) are left out and reported.
 */
export interface TagChanges {
  add: string[]
  remove: string[]
  skipped: string[]
}

export function tagChanges(inputs: readonly FormInput[], values: Record<string, unknown>): TagChanges {
  const out: TagChanges = { add: [], remove: [], skipped: [] }
  const valid = (t: string) => {
    try {
      checkTag(t)
      return true
    } catch {
      out.skipped.push(t)
      return false
    }
  }
  for (const it of inputs) {
    if (!it.useastag || !(it.name in values)) continue
    const v = values[it.name]
    if (it.type === 'checkbox') {
      if (!valid(it.name)) continue
      ;(v === true ? out.add : out.remove).push(it.name)
      continue
    }
    for (const o of it.options ?? []) {
      if (o === v) {
        if (valid(o)) out.add.push(o)
      } else if (valid(o)) out.remove.push(o)
    }
  }
  out.remove = out.remove.filter((t) => !out.add.includes(t))
  return out
}
