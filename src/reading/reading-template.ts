import type { AutoloadItem } from '../archive/autoloaders'

/**
 * The seed's reading_template: a basic reading tab (`reading`, `tools`, `viewer`) to copy from. Its `viewer` holds
 * the viewer's current state as the browser sends it (`?viewer=` JSON) and the project's active autoloaders when that
 * state has none, so an admin sets up a view, opens the template and copies the viewer part.
 */
export function readingTemplate(viewerState: unknown, activeAutoloaders: readonly AutoloadItem[]): Record<string, unknown> {
  const state = typeof viewerState === 'object' && viewerState !== null && !Array.isArray(viewerState) ? (viewerState as Record<string, unknown>) : {}
  return {
    reading: {
      random: 'none',
      randomise: 'study',
      repetitions: 1,
      stages: 1,
      mode_training: { SQLCondition: "STAG LIKE '%Training%'" },
      mode_serious: { SQLCondition: "STAG NOT LIKE '%Training%'" },
      allowRestartOfTraining: 1,
      allowRestartOfSerious: 0,
      hidePatientTable: 1,
      tagTarget: 'study',
    },
    tools: { markers: 1, roi: 0 },
    viewer: {
      sortOrder: 'patients_id',
      sortDirection: 'asc',
      ...state,
      autoloaders: Array.isArray(state.autoloaders) ? state.autoloaders : activeAutoloaders.map((a) => ({ ...a })),
    },
  }
}
