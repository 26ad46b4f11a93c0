import { UsageError } from '../core/errors'
import type { User } from '../core/types'
import type { Repos } from '../store/repos'
import type { ArchiveService } from './archive-service'
import { checkRelative, parsePsid } from './file-pattern'

/**
 * Autoloaders: per-project presets that load files of the selected study into viewports. A preset is a named list
 * of items; each item is a file pattern of the archive's language (`t1_trio*\/s0*.nii`, relative to the study), the
 * viewport (1 = the first, as the viewer numbers them), how to load it (`as`), and its colormap and window. At most one preset is active.
 */
export const LOAD_AS = ['background', 'overlay', 'mask', 'fibers', 'surface'] as const
export type LoadAs = (typeof LOAD_AS)[number]

export interface AutoloadItem {
  pattern: string
  viewport: number
  as: LoadAs
  colormap: string
  min?: number
  max?: number
}

export interface AutoloaderPreset {
  name: string
  active: boolean
  items: AutoloadItem[]
}

/** What the viewer gets for one item: the file's URL and the item's display settings. */
export interface ResolvedItem {
  url: string
  name: string
  path: string
  viewport: number
  as: LoadAs
  colormap: string
  min?: number
  max?: number
}

const NAME = /^[\p{L}\p{N} _.+=@()-]{1,64}$/u
const COLORMAP = /^[A-Za-z0-9_-]{1,32}$/

function fail(where: string, what: string): never {
  throw new UsageError(`autoloader ${where}: ${what}`)
}

/** Checks presets from a client; returns clean copies (no extra keys). */
export function checkPresets(input: unknown): AutoloaderPreset[] {
  if (!Array.isArray(input)) fail('presets', 'send {"presets": [{"name", "active", "items": [...]}]}')
  if (input.length > 50) fail('presets', 'at most 50 presets per project')
  const names = new Set<string>()
  let active = 0
  const out = input.map((p: Record<string, unknown>, i) => {
    const where = `preset ${i + 1}`
    if (typeof p !== 'object' || p === null) fail(where, 'must be an object')
    if (typeof p.name !== 'string' || !NAME.test(p.name)) fail(where, 'name: 1-64 letters, digits, spaces or _ . + = @ ( ) -')
    if (names.has(p.name)) fail(where, `the name "${p.name}" is used twice`)
    names.add(p.name)
    if (p.active) active++
    if (!Array.isArray(p.items) || p.items.length > 32) fail(where, 'items: a list of at most 32 items')
    const items = (p.items as Record<string, unknown>[]).map((it, j) => {
      const w = `${where} item ${j + 1}`
      if (typeof it !== 'object' || it === null) fail(w, 'must be an object')
      if (typeof it.pattern !== 'string' || it.pattern.length > 512) fail(w, 'pattern: a file pattern like t1*/s0*.nii')
      checkRelative(it.pattern, `autoloader ${w}: pattern`)
      if (it.pattern.includes('#')) fail(w, 'pattern is relative to the selected study: leave out PID#SID')
      const viewport = Number(it.viewport ?? 1)
      if (!Number.isInteger(viewport) || viewport < 1 || viewport > 16) fail(w, 'viewport: a number from 1 to 16')
      const as = (it.as ?? 'background') as LoadAs
      if (!LOAD_AS.includes(as)) fail(w, `as: one of ${LOAD_AS.join(', ')}`)
      const colormap = String(it.colormap ?? 'gray')
      if (!COLORMAP.test(colormap)) fail(w, 'colormap: a name like gray, hot, winter')
      const num = (v: unknown, k: string) => {
        if (v === undefined || v === null || v === '') return undefined
        const n = Number(v)
        if (!Number.isFinite(n)) fail(w, `${k} must be a number`)
        return n
      }
      const item: AutoloadItem = { pattern: it.pattern, viewport, as, colormap }
      const min = num(it.min, 'min')
      const max = num(it.max, 'max')
      if (min !== undefined) item.min = min
      if (max !== undefined) item.max = max
      return item
    })
    return { name: p.name as string, active: Boolean(p.active), items }
  })
  if (active > 1) fail('presets', 'only one preset can be active')
  return out
}

export class AutoloadersService {
  constructor(
    private readonly repos: Pick<Repos, 'autoloaders'>,
    private readonly archive: Pick<ArchiveService, 'open' | 'select'>,
  ) {}

  async list(actor: User, projectName: string): Promise<AutoloaderPreset[]> {
    const project = await this.archive.open(actor, projectName, 'read')
    return (await this.repos.autoloaders.list(project.id)).map((r) => ({ name: r.name, active: r.active, items: JSON.parse(r.items) as AutoloadItem[] }))
  }

  /** Replaces the project's presets (write right). */
  async save(actor: User, projectName: string, input: unknown): Promise<AutoloaderPreset[]> {
    const presets = checkPresets(input)
    const project = await this.archive.open(actor, projectName, 'write')
    await this.repos.autoloaders.replace(project.id, presets.map((p) => ({ name: p.name, active: p.active, items: JSON.stringify(p.items) })))
    return presets
  }

  /**
   * The files the active preset (or the preset `name`) loads for one study: per item the first file (by path) that
   * matches its pattern; items without a match are left out.
   */
  async resolve(actor: User, projectName: string, psid: string, name?: string): Promise<{ preset: string | null; items: ResolvedItem[] }> {
    const { patientsId, studiesId } = parsePsid(psid)
    if (!studiesId) throw new UsageError(`"${psid}" names a subject; autoloaders load a study: PATIENTS_ID#STUDIES_ID`)
    const presets = await this.list(actor, projectName)
    const preset = name === undefined ? presets.find((p) => p.active) : presets.find((p) => p.name === name)
    if (!preset) return { preset: null, items: [] }
    const items: ResolvedItem[] = []
    for (const it of preset.items) {
      let first: { relative: string; path: string } | undefined
      for await (const page of this.archive.select(actor, projectName, it.pattern, { patientsId, studiesId }))
        for (const f of page) if (!first || f.path < first.path) first = f
      if (!first) continue
      items.push({
        url: fileUrl(projectName, first.relative),
        name: first.path.slice(first.path.lastIndexOf('/') + 1),
        path: first.relative,
        viewport: it.viewport,
        as: it.as,
        colormap: it.colormap,
        ...(it.min !== undefined ? { min: it.min } : {}),
        ...(it.max !== undefined ? { max: it.max } : {}),
      })
    }
    return { preset: preset.name, items }
  }
}

/** `/api/projects/<p>/files/<pid>/<sid>/<folder>/<file>`, each segment URL-encoded (the viewer's file URL). */
export function fileUrl(project: string, relative: string): string {
  return `/api/projects/${encodeURIComponent(project)}/files/${relative.split('/').map(encodeURIComponent).join('/')}`
}
