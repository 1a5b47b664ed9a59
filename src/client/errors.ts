// What the typed client throws: one class for every answer in the API's error shape, carrying its `code`, with
// subclasses for the answers that carry more (409's currentSeq, 429's retryAfterSeconds); and two for requests that
// got no answer (a timeout, a network failure).
import type { ErrorCode } from '../errors.js';

/** The body of every error answer (API.md "Errors"). */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string };
  [extra: string]: unknown;
}

/** An error answer from the server. Match on `code`, not on `message`. */
export class RealmstateApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** The whole error body, with any extra fields (e.g. `eventIndex` of a rejected event). */
  readonly body: ApiErrorBody;
  /** The operation that failed (`appendEvents`). */
  readonly operation: string;

  constructor(operation: string, status: number, body: ApiErrorBody) {
    super(`${operation}: ${status} ${body.error.code}: ${body.error.message}`);
    this.name = new.target.name;
    this.operation = operation;
    this.status = status;
    this.code = body.error.code;
    this.body = body;
  }
}

/** 409 `conflict`: `expectedSeq` did not match. */
export class RealmstateConflictError extends RealmstateApiError {
  /** The player's seq now (0: the player does not exist). */
  readonly currentSeq: number;
  constructor(operation: string, status: number, body: ApiErrorBody) {
    super(operation, status, body);
    this.currentSeq = Number(body.currentSeq);
  }
}

/** 429 `rate_limited`, after the client's retries ran out. */
export class RealmstateRateLimitedError extends RealmstateApiError {
  readonly retryAfterSeconds: number;
  constructor(operation: string, status: number, body: ApiErrorBody) {
    super(operation, status, body);
    this.retryAfterSeconds = Number(body.retryAfterSeconds ?? 1);
  }
}

/** No answer within the client's timeout. A write may or may not have happened. */
export class RealmstateTimeoutError extends Error {
  constructor(readonly operation: string, readonly timeoutMs: number) {
    super(`${operation}: no answer within ${timeoutMs} ms`);
    this.name = 'RealmstateTimeoutError';
  }
}

/** The request failed without an answer (connection refused or reset, bad response). A write may or may not have happened. */
export class RealmstateNetworkError extends Error {
  constructor(readonly operation: string, cause: unknown) {
    super(`${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RealmstateNetworkError';
  }
}

/** Whether `err` is an error answer, optionally of the given code: `isApiError(err, 'not_found')`. */
export function isApiError(err: unknown, code?: ErrorCode): err is RealmstateApiError {
  return err instanceof RealmstateApiError && (code === undefined || err.code === code);
}

export function apiErrorOf(operation: string, status: number, body: ApiErrorBody): RealmstateApiError {
  if (body.error.code === 'conflict') return new RealmstateConflictError(operation, status, body);
  if (body.error.code === 'rate_limited') return new RealmstateRateLimitedError(operation, status, body);
  return new RealmstateApiError(operation, status, body);
}
