/**
 * The Marker tool (viewer/markers) as a reading form's markerpoint / markerset items use it: one pointset per item,
 * named by the item; a markerpoint keeps only its last point. `reset()` removes the reading's sets between cases.
 */
import type { MarkerValue } from './form-spec'
import type { MarkerPort } from './form-render'
import type { MarkerSet, MarkerTool } from '../markers/marker-tool'

export interface ReadingAnnotation {
  item: string
  kind: 'pointset'
  /** The image the points were placed on (project path), when it is a file of the archive. */
  reference: string
  points: MarkerValue
}

export class ReadingMarkers implements MarkerPort {
  private readonly sets = new Map<string, { set: MarkerSet; single: boolean }>()
  private readonly listeners: (() => void)[] = []
  private enforcing = false

  constructor(private readonly tool: MarkerTool) {
    const previous = tool.onChange
    tool.onChange = () => {
      previous()
      this.changed()
    }
  }

  private changed() {
    if (this.enforcing) return
    this.enforcing = true
    try {
      for (const { set, single } of this.sets.values())
        if (single && set.points.length > 1) {
          set.points.splice(0, set.points.length - 1)
          set.points[0]!.label = set.name
          this.tool.changed()
        }
    } finally {
      this.enforcing = false
    }
    for (const l of this.listeners) l()
  }

  activate(name: string, single: boolean) {
    let entry = this.sets.get(name)
    if (!entry || !this.tool.sets.includes(entry.set)) {
      const set = this.tool.create('pointset')
      set.name = name
      entry = { set, single }
      this.sets.set(name, entry)
    }
    this.tool.currentId = entry.set.id
    this.tool.setPen(true)
    this.tool.changed()
  }

  points(name: string): MarkerValue {
    const set = this.sets.get(name)?.set
    return set ? set.points.map((p) => ({ label: p.label, position: [...p.position] as [number, number, number] })) : []
  }

  clear(name: string) {
    const set = this.sets.get(name)?.set
    if (!set) return
    set.points.length = 0
    this.tool.changed()
  }

  onChange(listener: () => void) {
    this.listeners.length = 0
    this.listeners.push(listener)
  }

  /** The items' points with their reference images: saved with the result. */
  annotations(): ReadingAnnotation[] {
    return [...this.sets.entries()].filter(([, e]) => e.set.points.length).map(([item, e]) => ({ item, kind: 'pointset', reference: e.set.reference, points: this.points(item) }))
  }

  /** Removes the reading's sets (the next case starts without them) and turns the pen off. */
  reset() {
    for (const { set } of this.sets.values()) if (this.tool.sets.includes(set)) this.tool.remove(set)
    this.sets.clear()
    this.tool.setPen(false)
  }
}
