// The boards in force: those made with PUT (durable, in PostgreSQL) and those the game config declares.
// When both define the same id, the PUT-made board wins: it is an explicit, durable decision of an operator,
// while the config is replaced wholesale on every reload. The config's copy shows again if the PUT board goes.
import type { BoardDefinition, ConfigBoard } from './board-definition.js';

export type BoardSource = 'put' | 'config';

export interface Board extends BoardDefinition {
  id: string;
  source: BoardSource;
}

export class BoardRegistry {
  private put = new Map<string, BoardDefinition>();
  private config = new Map<string, BoardDefinition>();

  get(id: string): Board | undefined {
    const put = this.put.get(id);
    if (put) return { ...put, id, source: 'put' };
    const config = this.config.get(id);
    return config && { ...config, id, source: 'config' };
  }

  /** Every board in force, by id. */
  all(): Board[] {
    const ids = new Set([...this.put.keys(), ...this.config.keys()]);
    return [...ids].sort().map((id) => this.get(id) as Board);
  }

  setPut(id: string, definition: BoardDefinition): void {
    this.put.set(id, definition);
  }

  replacePut(definitions: ReadonlyMap<string, BoardDefinition>): void {
    this.put = new Map(definitions);
  }

  /** Replaces every config-declared board; returns the ids that are new or changed. */
  replaceConfig(boards: readonly ConfigBoard[]): string[] {
    const next = new Map<string, BoardDefinition>();
    for (const { id, ...definition } of boards) next.set(id, definition);
    const changed = [...next].filter(([id, d]) => JSON.stringify(this.config.get(id)) !== JSON.stringify(d)).map(([id]) => id);
    this.config = next;
    return changed;
  }

  /** Ids defined both ways (the PUT-made one wins). */
  shadowed(): string[] {
    return [...this.config.keys()].filter((id) => this.put.has(id));
  }
}
