// An internal append forwarded to the player's owner comes back as the typed error the owner threw, so the callers
// (trades above all) decide as on one instance; an answer that is not one of ours leaves the outcome unknown.
import { describe, expect, it } from 'vitest';
import { ConflictError, isConflictError, isUnavailableError, RejectedError } from '../../src/errors.js';
import { asRealmError, isOutcomeUnknown } from '../../src/fleet/internal-appends.js';

describe('errors of an internal append forwarded to the owner', () => {
  it('keeps a rejection a RejectedError with its details (the trade logic reads details.trade)', () => {
    const err = asRealmError(422, { error: { code: 'rejected', message: 'event 1: not enough sword' }, trade: 'insufficient' }, 'p1');
    expect(err).toBeInstanceOf(RejectedError);
    expect(err.status).toBe(422);
    expect(err.details).toEqual({ trade: 'insufficient' });
    expect(err.message).toBe('event 1: not enough sword');
  });

  it('keeps a conflict a ConflictError with its currentSeq', () => {
    const err = asRealmError(409, { error: { code: 'conflict', message: 'expected seq 3, player p1 is at 5' }, currentSeq: 5 }, 'p1');
    expect(err).toBeInstanceOf(ConflictError);
    expect(isConflictError(err) && err.currentSeq).toBe(5);
  });

  it('keeps a 503 an UnavailableError (nothing written) and other codes their code', () => {
    const down = asRealmError(503, { error: { code: 'unavailable', message: 'shard 1 is unavailable' } }, 'p1');
    expect(isUnavailableError(down)).toBe(true);
    expect(isOutcomeUnknown(down)).toBe(false);
    expect(asRealmError(404, { error: { code: 'not_found', message: 'no such player' } }, 'p1')).toMatchObject({ code: 'not_found', status: 404 });
    expect(asRealmError(400, { error: { code: 'invalid_argument', message: 'bad' } }, 'p1')).toMatchObject({ code: 'invalid_argument', status: 400 });
  });

  it('marks a 500, a body that is not ours and an unknown code as an unknown outcome', () => {
    for (const [status, body] of [
      [500, { error: { code: 'internal', message: 'internal error; see the server log' } }],
      [502, undefined],
      [418, { error: { code: 'teapot', message: 'x' } }],
    ] as const) {
      const err = asRealmError(status, body, 'p1');
      expect(isOutcomeUnknown(err), String(status)).toBe(true);
      expect(err.code).toBe('unavailable');
      expect(err.message).toMatch(/may or may not have been applied/);
    }
  });
});
