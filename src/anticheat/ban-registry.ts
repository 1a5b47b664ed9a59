// Banned players: durable in shard 0's anticheat_bans, held in memory by every instance so the write path checks a
// set, not a database. A change is announced on the broadcast (every instance applies it at once) and every
// instance re-reads the table periodically, in case it missed an announcement.
import type { Logger } from 'pino';
import type { Broadcast } from '../backends/broadcast-port.js';
import type { SqlExecutor } from '../backends/postgres/index.js';

/** How often the whole table is re-read (announcements are best effort). */
export const BAN_REFRESH_MS = 5000;

export class BanRegistry {
  private banned = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** Bumped by every local change, so a re-read that raced one does not undo it. */
  private version = 0;

  constructor(private readonly db: SqlExecutor, private readonly broadcast: Broadcast | undefined, private readonly log: Logger) {}

  async start(): Promise<void> {
    await this.refresh();
    await this.broadcast?.subscribe((message) => this.heard(message));
    this.timer = setInterval(() => void this.refresh().catch((err: unknown) => this.log.warn({ err }, 'could not re-read the banned players')), BAN_REFRESH_MS);
    this.timer.unref();
  }

  isBanned(playerId: string): boolean {
    return this.banned.has(playerId);
  }

  /** Bans the player (durably, then announced); false if it already was. */
  async ban(playerId: string, reason: string): Promise<boolean> {
    const rows = await this.db.query('INSERT INTO anticheat_bans (player_id, reason) VALUES ($1, $2) ON CONFLICT (player_id) DO NOTHING RETURNING player_id', [playerId, reason]);
    this.version++;
    this.banned.add(playerId);
    await this.announce(`ban ${playerId}`);
    return rows.length > 0;
  }

  /** Lifts the ban; false if the player was not banned. */
  async unban(playerId: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM anticheat_bans WHERE player_id = $1 RETURNING player_id', [playerId]);
    this.version++;
    this.banned.delete(playerId);
    await this.announce(`unban ${playerId}`);
    return rows.length > 0;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.broadcast?.close();
  }

  private async refresh(): Promise<void> {
    const version = this.version;
    const rows = await this.db.query<{ player_id: string }>('SELECT player_id FROM anticheat_bans');
    if (version === this.version) this.banned = new Set(rows.map((r) => r.player_id));
  }

  private async announce(message: string): Promise<void> {
    // The ban is durable already; an instance that misses this hears of it at its next re-read.
    await this.broadcast?.publish(message).catch((err: unknown) => this.log.warn({ err }, 'could not announce a ban change; other instances see it at their next re-read'));
  }

  private heard(message: string): void {
    const [verb, playerId] = message.split(' ');
    if (!playerId) return;
    this.version++;
    if (verb === 'ban') this.banned.add(playerId);
    else if (verb === 'unban') this.banned.delete(playerId);
  }
}
