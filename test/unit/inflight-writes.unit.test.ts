// What a rebuild waits for: the writes of its board season in flight when it starts, not paused or later ones.
import { describe, expect, it } from 'vitest';
import { InflightWrites } from '../../src/leaderboards/inflight-writes.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('in-flight writes', () => {
  it('settles once the writes running at the call have ended or paused', async () => {
    const writes = new InflightWrites();
    const a = writes.begin('board', 'all');
    const b = writes.begin('board', 'all');
    const other = writes.begin('board', '2026-11');
    let settled = false;
    void writes.settled('board', 'all').then(() => (settled = true));
    const later = writes.begin('board', 'all');
    a.end();
    await tick();
    expect(settled).toBe(false);
    b.pause();
    await tick();
    // `later` began after the call and `other` is another season: neither is waited for.
    expect(settled).toBe(true);
    b.resume();
    let again = false;
    void writes.settled('board', 'all').then(() => (again = true));
    later.end();
    await tick();
    expect(again).toBe(false);
    b.end();
    await tick();
    expect(again).toBe(true);
    other.end();
    expect(await Promise.race([writes.settled('board', 'all').then(() => 'settled'), tick().then(() => 'waiting')])).toBe('settled');
  });
});
