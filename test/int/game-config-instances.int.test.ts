// Several instances of the game config sharing a real Redis (pub/sub) or NATS (core pub/sub): an accepted file is
// announced, every instance with the same file converges to the same hash, and none goes back to an older version.
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Broadcast } from '../../src/backends/broadcast-port.js';
import { NatsBroadcast } from '../../src/backends/nats/nats-broadcast.js';
import { connectNats } from '../../src/backends/nats/nats-connection.js';
import { RedisBroadcast } from '../../src/backends/redis/redis-broadcast.js';
import { GameConfig, type GameConfigOptions } from '../../src/config/index.js';
import { NATS_URL, REDIS_URL, waitFor } from '../helpers/wait.js';

const valid = (version: number, xp = version * 10) => `version: ${version}\ntuning: { xpPerKill: ${xp} }\n`;

const transports: Array<[string, (channel: string) => Promise<Broadcast>]> = [
  ['redis', async (channel) => new RedisBroadcast(REDIS_URL, `test-${channel}:config`)],
  ['nats', async (channel) => new NatsBroadcast(await connectNats(NATS_URL), `test.${channel}.config`, { ownsConnection: true })],
];

describe.each(transports)('game config instances over %s', (_name, transport) => {
  let dir: string;
  let channel: string;
  const instances: GameConfig[] = [];

  const open = async (options: GameConfigOptions) => {
    const instance = await GameConfig.open({ debounceMs: 20, broadcast: await transport(channel), ...options });
    instances.push(instance);
    return instance;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-instances-'));
    channel = randomUUID();
  });
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((i) => i.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('an instance that does not watch its file converges through the announcement', async () => {
    const fileA = join(dir, 'a.yaml');
    const fileB = join(dir, 'b.yaml');
    writeFileSync(fileA, valid(1));
    copyFileSync(fileA, fileB);
    const a = await open({ file: fileA });
    const b = await open({ file: fileB, watch: false });
    expect(b.current.hash).toBe(a.current.hash);

    // The deploy tool updates B's copy first; B cannot see it (not watching) until A announces its own.
    writeFileSync(fileB, valid(2));
    writeFileSync(fileA, valid(2));
    await waitFor(() => a.current.version === 2, 'A reloads');
    await waitFor(() => b.current.hash === a.current.hash, 'B converges');
    expect(b.current.version).toBe(2);
    expect(b.status()).toMatchObject({ reloads: 1, lastError: null });
  });

  it('instances watching the same file converge to the same hash', async () => {
    const file = join(dir, 'game.yaml');
    writeFileSync(file, valid(1));
    const [a, b, c] = [await open({ file }), await open({ file }), await open({ file, watch: false })];
    writeFileSync(file, valid(2, 77));
    await waitFor(() => [a, b, c].every((i) => i.current.version === 2), 'all at version 2');
    expect(new Set([a, b, c].map((i) => i.current.hash)).size).toBe(1);
    expect(c.current.config.tuning).toEqual({ xpPerKill: 77 });
  });

  it('an instance whose file is older does not go back', async () => {
    const fileA = join(dir, 'a.yaml');
    const fileB = join(dir, 'b.yaml');
    writeFileSync(fileA, valid(5));
    writeFileSync(fileB, valid(5));
    const a = await open({ file: fileA });
    const b = await open({ file: fileB, watch: false });
    // B's copy is replaced by a stale one (an old deploy artefact): version 4.
    writeFileSync(fileB, valid(4));
    writeFileSync(fileA, valid(6));
    await waitFor(() => a.current.version === 6, 'A reloads');
    await waitFor(() => /version: 4 is older than the live version 5/.test(b.status().lastError?.message ?? ''), 'B refuses its older file');
    expect(b.current.version).toBe(5);
    expect(b.current.config.tuning).toEqual({ xpPerKill: 50 });
  });

  it('an admin reload on one instance makes the others look again', async () => {
    const fileA = join(dir, 'a.yaml');
    const fileB = join(dir, 'b.yaml');
    writeFileSync(fileA, valid(1));
    writeFileSync(fileB, valid(1));
    const a = await open({ file: fileA, watch: false });
    const b = await open({ file: fileB, watch: false });
    writeFileSync(fileA, valid(2));
    writeFileSync(fileB, valid(2));
    await a.reload();
    await waitFor(() => b.current.version === 2, 'B follows');
    expect(b.current.hash).toBe(a.current.hash);
  });
});
