/** Errors a user can act on. `exitCode` is what the CLI exits with, `status` what HTTP answers. */
export class NoraError extends Error {
  readonly exitCode: number = 1
  readonly status: number = 400
  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}

/** A conf file is missing, malformed, or a key is unknown or of the wrong type. */
export class ConfigError extends NoraError {
  override readonly exitCode = 2
  override readonly status = 500
}

/** The command line or a request was malformed. */
export class UsageError extends NoraError {
  override readonly exitCode = 2
}

export class NotFoundError extends NoraError {
  override readonly status = 404
}

/** Authenticated, but the user lacks the right. */
export class ForbiddenError extends NoraError {
  override readonly exitCode = 3
  override readonly status = 403
}

/** Not authenticated (no session, wrong password, wrong token). */
export class AuthError extends NoraError {
  override readonly exitCode = 3
  override readonly status = 401
}

/** A path given by a user points outside the root it must stay under. */
export class PathError extends NoraError {
  override readonly status = 400
}

/** A backend (database, scheduler, DICOM peer) cannot be reached. */
export class ServiceError extends NoraError {
  override readonly exitCode = 4
  override readonly status = 503
}

export class ConflictError extends NoraError {
  override readonly status = 409
}

export class RateLimitError extends NoraError {
  override readonly exitCode = 3
  override readonly status = 429
}

/** A request body larger than the configured limit (http.maxUploadMb). */
export class TooLargeError extends NoraError {
  override readonly status = 413
}

/** Taking the request would leave the data disk with less free space than data.minFreeMb. */
export class InsufficientStorageError extends NoraError {
  override readonly exitCode = 4
  override readonly status = 507
}

/** A request body sent without a length where one is required. */
export class LengthRequiredError extends NoraError {
  override readonly status = 411
}
