import { NoraError } from '../core/errors'

/** A pointset file (nora's JSON or Slicer's .mrk.json) that cannot be read: what is wrong and where. */
export class MarkersError extends NoraError {}
