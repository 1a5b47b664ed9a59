// "Now" for leaderboards, injectable so tests can cross a season boundary, and the achieved-at stamps built on it.

export interface Clock {
  /** Milliseconds since the epoch (may have a fraction). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Achieved-at stamps in microseconds since the epoch, strictly increasing within the process: two submissions
 * in the same microsecond (or while the wall clock steps back) still get distinct stamps in arrival order,
 * so the stamp is the time and the tie counter at once. Across processes equal stamps are possible; the player
 * id then decides, so the order stays total and the same on every replica and rebuild.
 */
export class StampSource {
  private last = 0;

  constructor(private readonly clock: Clock) {}

  next(): number {
    const now = Math.floor(this.clock.now() * 1000);
    this.last = now > this.last ? now : this.last + 1;
    return this.last;
  }
}
