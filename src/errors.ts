// One base error with a stable code and an HTTP meaning. The HTTP layer maps errors by code only,
// so domain code throws these (never a bare Error) for anything a caller did or may retry.

export type ErrorCode =
  | 'invalid_argument'
  | 'unauthenticated'
  | 'permission_denied'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rejected'
  | 'rate_limited'
  | 'request_timeout'
  | 'unavailable'
  | 'internal'
  | 'banned';

export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rejected: 422,
  rate_limited: 429,
  request_timeout: 408,
  unavailable: 503,
  internal: 500,
  banned: 403,
};

export class RealmError extends Error {
  readonly code: ErrorCode;
  /** Extra fields merged into the error body of an HTTP reply (e.g. `currentSeq`). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

export class InvalidArgumentError extends RealmError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('invalid_argument', message, details);
  }
}

export class UnauthenticatedError extends RealmError {
  constructor(message = 'missing or wrong API key') {
    super('unauthenticated', message);
  }
}

export class PermissionDeniedError extends RealmError {
  constructor(message = 'this route needs the admin key') {
    super('permission_denied', message);
  }
}

export class NotFoundError extends RealmError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** `expectedSeq` did not match the player's current seq. */
export class ConflictError extends RealmError {
  readonly currentSeq: number;
  constructor(message: string, currentSeq: number) {
    super('conflict', message, { currentSeq });
    this.currentSeq = currentSeq;
  }
}

export class PayloadTooLargeError extends RealmError {
  constructor(message: string) {
    super('payload_too_large', message);
  }
}

/** A well-formed command that would break an invariant. Nothing was written. */
export class RejectedError extends RealmError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('rejected', message, details);
  }
}

export class RateLimitedError extends RealmError {
  constructor(message: string, retryAfterSeconds?: number) {
    super('rate_limited', message, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  }
}

/** A backend this request needs is down, or the server is shedding load. Nothing was written. */
export class UnavailableError extends RealmError {
  constructor(message: string, options?: ErrorOptions) {
    super('unavailable', message, {}, options);
  }
}

/** The player is banned: its appends and score submissions are refused. Nothing was written. */
export class BannedError extends RealmError {
  constructor(playerId: string) {
    super('banned', `player ${playerId} is banned`);
  }
}

export function isRealmError(err: unknown): err is RealmError {
  return err instanceof RealmError;
}

export function isConflictError(err: unknown): err is ConflictError {
  return err instanceof ConflictError;
}

export function isUnavailableError(err: unknown): err is UnavailableError {
  return err instanceof UnavailableError;
}
