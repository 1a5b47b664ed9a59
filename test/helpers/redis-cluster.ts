// A Redis Cluster of the test's own: three masters (redis-server --cluster-enabled yes) on free private ports in a
// temp dir, joined with `redis-cli --cluster create`, stopped by pid afterwards. Start it once per file (beforeAll):
// making one takes a couple of seconds.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis, type Cluster } from 'ioredis';
import { connectRedis, createRedisCluster } from '../../src/backends/redis/index.js';

const run = promisify(execFile);

/** Redis Cluster's slot of a key: CRC16 (XMODEM) of its hash tag (the first non-empty `{…}`) or of the whole key, mod 16384. */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key);
  const open = bytes.indexOf('{');
  if (open >= 0) {
    const close = bytes.indexOf('}', open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port whose cluster-bus port (port + 10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
}

export interface ClusterNodeInfo {
  id: string;
  port: number;
  /** Slot ranges [from, to] it serves. */
  slots: Array<[number, number]>;
}

export class PrivateRedisCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'realmstate-redis-cluster-'));
  readonly ports: number[] = [];
  private readonly children: ChildProcess[] = [];

  /** `127.0.0.1:port` of every master: what REDIS_CLUSTER_NODES takes. */
  get nodes(): string[] {
    return this.ports.map((p) => `127.0.0.1:${p}`);
  }

  async start(masters = 3): Promise<this> {
    const taken = new Set<number>();
    for (let i = 0; i < masters; i++) this.ports.push(await clusterPort(taken));
    for (const port of this.ports) {
      const child = spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', this.dir,
      ], { stdio: 'ignore' });
      this.children.push(child);
    }
    for (const port of this.ports) await this.waitForNode(port);
    await run('redis-cli', ['--cluster', 'create', ...this.nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    for (let i = 0; i < 200; i++) {
      const states = await Promise.all(this.ports.map((p) => this.onNode(p, (c) => c.cluster('INFO') as Promise<string>)));
      if (states.every((s) => s.includes('cluster_state:ok'))) return this;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('private Redis Cluster did not reach cluster_state:ok');
  }

  private async waitForNode(port: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      try {
        await this.onNode(port, (c) => c.ping());
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`redis-server on ${port} did not start`);
  }

  /** Runs `fn` on a plain connection to one node. */
  async onNode<T>(port: number, fn: (client: Redis) => Promise<T>): Promise<T> {
    const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    try {
      await c.connect();
      return await fn(c);
    } finally {
      c.disconnect();
    }
  }

  /** A cluster client as Realmstate makes it (connected). */
  async client(): Promise<Cluster> {
    const c = createRedisCluster(this.nodes, { name: 'realmstate-test' });
    if (!(await connectRedis(c, 10_000))) throw new Error('could not connect to the private Redis Cluster');
    return c;
  }

  async topology(): Promise<ClusterNodeInfo[]> {
    return Promise.all(this.ports.map(async (port) => {
      const id = (await this.onNode(port, (c) => c.cluster('MYID'))) as string;
      const slots = (await this.onNode(port, (c) => c.cluster('SLOTS'))) as unknown as Array<[number, number, [string, number, string]]>;
      return { id, port, slots: slots.filter((s) => s[2][1] === port).map((s) => [s[0], s[1]] as [number, number]) };
    }));
  }

  /** The port of the master serving `key`'s slot. */
  async portOf(key: string): Promise<number> {
    const slot = keySlot(key);
    const node = (await this.topology()).find((n) => n.slots.some(([a, b]) => slot >= a && slot <= b));
    if (!node) throw new Error(`no node serves slot ${slot}`);
    return node.port;
  }

  /**
   * Moves one slot with its keys to another master, the way `redis-cli --cluster reshard` does (IMPORTING/MIGRATING,
   * MIGRATE, SETSLOT NODE). `between` runs after each step, while clients see ASK and then MOVED redirections.
   */
  async moveSlot(slot: number, toPort: number, between: () => Promise<void> = async () => {}): Promise<void> {
    const topo = await this.topology();
    const from = topo.find((n) => n.slots.some(([a, b]) => slot >= a && slot <= b));
    const to = topo.find((n) => n.port === toPort);
    if (!from || !to) throw new Error('unknown slot owner or target');
    if (from.port === to.port) return;
    await this.onNode(to.port, (c) => c.cluster('SETSLOT', slot, 'IMPORTING', from.id));
    await this.onNode(from.port, (c) => c.cluster('SETSLOT', slot, 'MIGRATING', to.id));
    await between();
    for (;;) {
      const keys = (await this.onNode(from.port, (c) => c.cluster('GETKEYSINSLOT', slot, 1))) as string[];
      if (keys.length === 0) break;
      await this.onNode(from.port, (c) => c.migrate('127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys));
      await between();
    }
    for (const port of [to.port, from.port, ...this.ports.filter((p) => p !== to.port && p !== from.port)]) {
      await this.onNode(port, (c) => c.cluster('SETSLOT', slot, 'NODE', to.id));
    }
    await between();
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      return exited;
    }));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Deletes every key of `prefix` on every master of the cluster. */
export async function deleteClusterKeys(cluster: PrivateRedisCluster, prefix: string): Promise<number> {
  let deleted = 0;
  for (const port of cluster.ports) {
    await cluster.onNode(port, async (c) => {
      let cursor = '0';
      do {
        const [next, keys] = await c.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const k of keys) deleted += await c.del(k);
      } while (cursor !== '0');
    });
  }
  return deleted;
}
