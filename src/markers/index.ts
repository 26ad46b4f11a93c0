/** Marker sets (pointsets, freelines) in world RAS mm: nora's JSON file and 3D Slicer's .mrk.json. Pure TypeScript. */
export { MarkersError } from './markers-error'
export * from './pointset'
export { flipXY, formatSlicer, fromSlicer, parseSlicer, SLICER_SCHEMA, toSlicer } from './slicer'
