// The negative integers our Lua scripts return instead of a result, and the one place that turns them into errors.
import { RejectedError, type RealmError } from '../../errors.js';
import { SetMissingError } from '../sorted-set-port.js';

export enum ErrorCode {
  /** The set's marker is missing: the set was lost (restart, eviction) or is being rebuilt. */
  SetMissing = -1,
  /** An `add` would take the score outside ±(2^53−1); nothing was written. */
  ScoreOutOfRange = -2,
}

export function isErrorCode(reply: unknown): reply is ErrorCode {
  return typeof reply === 'number' && reply < 0;
}

export function errorFromCode(code: number, set: string): RealmError {
  switch (code) {
    case ErrorCode.SetMissing:
      return new SetMissingError(set);
    case ErrorCode.ScoreOutOfRange:
      return new RejectedError('the score would leave ±(2^53−1)');
    default:
      throw new Error(`unknown Lua script error code ${code} on ${set}`);
  }
}
