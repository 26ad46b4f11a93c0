/** What the DICOM port needs from the receiver behind it, and how it is set up; the SCP itself only speaks DIMSE. */

export interface Association {
  id: number
  callingAet: string
  calledAet: string
  remote: string
}

/** One instance received whole into its spool file. */
export interface ReceivedInstance {
  /** The spool file (Part 10: nora's file meta, then the dataset as sent); its data is not fsync'd yet. */
  path: string
  /** The file, still open: the handler closes it. Absent when the writer closed it. */
  fd?: number
  /**
   * The file's first bytes (at most 64 KB), kept while it was written, to read its header without reading it back;
   * empty when not kept. Valid until stored() first waits: the intake reuses the buffer for the next instance.
   */
  head: Uint8Array
}

/** What the receiver does with what arrives. */
export interface StoreHandler {
  /** undefined accepts; a string rejects the association with that reason logged. */
  checkAssociation(a: Association): string | undefined
  /** A new temp file in the spool for one incoming instance. */
  tempPath(): string
  /**
   * The instance is in its spool file: make its data and its name durable, then resolve with the DIMSE status to
   * answer (0 = Success, which the sender takes as "kept": only for what would survive a power cut).
   */
  stored(instance: ReceivedInstance, a: Association): Promise<number>
  /** Writing the instance failed (disk full...): answered with Out of Resources. */
  failed(tempFile: string, a: Association, error: Error): void
  released(a: Association): void
  log(line: string): void
}

export interface ScpOptions {
  aet: string
  maxPdu: number
  /** A connection that sends no whole PDU for this long (while nora is not busy with its instance) is aborted. */
  associationTimeoutMs: number
  /** Associations (connections) served at once; more are answered A-ASSOCIATE-RJ (transient, local limit exceeded). */
  maxAssociations: number
  /** The address the listener binds ("0.0.0.0": every interface). */
  host: string
  /** Until its A-ASSOCIATE-RQ has arrived whole, a connection lives this long at most (default 10 s). */
  handshakeTimeoutMs?: number
}

/** DIMSE status Out of Resources (PS3.4 B.2.3): the instance could not be written. */
export const OUT_OF_RESOURCES = 0xa700
