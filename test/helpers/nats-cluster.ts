// A NATS cluster of the test's own: three nats-servers with JetStream (private client, route and monitoring ports,
// their own store dirs), forming one JetStream cluster. A test may kill one by pid and start it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

interface Member {
  name: string;
  port: number;
  routePort: number;
  httpPort: number;
  configFile: string;
  child?: ChildProcess;
}

export class PrivateNatsCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'realmstate-nats-cluster-'));
  readonly members: Member[] = [];

  /** Every server's client URL: what NATS_URL takes, comma-separated. */
  get urls(): string[] {
    return this.members.map((m) => `nats://127.0.0.1:${m.port}`);
  }

  async start(size = 3): Promise<this> {
    for (let i = 0; i < size; i++) {
      this.members.push({ name: `n${i}`, port: await freePort(), routePort: await freePort(), httpPort: await freePort(), configFile: '' });
    }
    for (const m of this.members) {
      const store = join(this.dir, m.name);
      mkdirSync(store, { recursive: true });
      m.configFile = join(this.dir, `${m.name}.conf`);
      const routes = this.members.filter((o) => o !== m).map((o) => `nats://127.0.0.1:${o.routePort}`);
      writeFileSync(m.configFile, [
        `server_name: ${m.name}`,
        `listen: 127.0.0.1:${m.port}`,
        `http: 127.0.0.1:${m.httpPort}`,
        `jetstream { store_dir: "${store}" }`,
        `cluster { name: realmstate-test, listen: 127.0.0.1:${m.routePort}, routes: [${routes.join(', ')}] }`,
      ].join('\n'));
    }
    await Promise.all(this.members.map((m) => this.startMember(m)));
    await this.waitForJetStream();
    return this;
  }

  private async startMember(m: Member): Promise<void> {
    m.child = spawn('nats-server', ['-c', m.configFile], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      try {
        const nc = await connect({ servers: `nats://127.0.0.1:${m.port}`, timeout: 500 });
        await nc.close();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`nats-server ${m.name} did not start`);
  }

  /** Waits until the JetStream cluster has a meta leader (account info answers). */
  async waitForJetStream(): Promise<void> {
    const nc = await connect({ servers: this.urls.filter((_, i) => this.members[i]?.child?.exitCode === null) });
    try {
      for (let i = 0; i < 300; i++) {
        try {
          await (await nc.jetstreamManager({ timeout: 1000 })).getAccountInfo();
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error('JetStream cluster has no leader');
    } finally {
      await nc.close();
    }
  }

  /** The member a connection with this name is connected to (from the servers' monitoring endpoints). */
  async serverOf(connectionName: string): Promise<number> {
    for (const [i, m] of this.members.entries()) {
      if (!m.child || m.child.exitCode !== null || m.child.signalCode !== null) continue;
      const res = await fetch(`http://127.0.0.1:${m.httpPort}/connz?limit=1024`).catch(() => undefined);
      if (!res?.ok) continue;
      const body = (await res.json()) as { connections?: Array<{ name?: string }> };
      if (body.connections?.some((c) => c.name === connectionName)) return i;
    }
    return -1;
  }

  /** kill -9 of one member. */
  async kill(index: number): Promise<void> {
    const child = this.members[index]?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.kill(i);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
