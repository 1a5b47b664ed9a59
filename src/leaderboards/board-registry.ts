// The boards in force: those made with PUT (durable, in PostgreSQL) and those the game config declares.
// When both define the same id, the PUT-made board wins: it is an explicit, durable decision of an operator,
// while the config is replaced wholesale on every reload. The config's copy shows again if the PUT board goes.
import type { BoardDefinition, ConfigBoard } from './board-definition.js';

export type BoardSource = 'put' | 'config';

export interface Board extends BoardDefinition {
  id: string;
  source: BoardSource;
}

function built(id: string, definition: BoardDefinition, source: BoardSource): Board {
  return Object.freeze({ ...definition, ...(definition.regions ? { regions: Object.freeze([...definition.regions]) as string[] } : {}), id, source });
}

/**
 * Each Board is built once, when its definition arrives, and handed out as the same frozen object until it is replaced:
 * a lookup is on every score submission and read, and the service keeps per-board caches keyed by the object.
 */
export class BoardRegistry {
  private put = new Map<string, Board>();
  private config = new Map<string, Board>();
  /** The config's definitions as given, to tell which boards a reload changed. */
  private configDefinitions = new Map<string, BoardDefinition>();

  get(id: string): Board | undefined {
    return this.put.get(id) ?? this.config.get(id);
  }

  /** Every board in force, by id. */
  all(): Board[] {
    const ids = new Set([...this.put.keys(), ...this.config.keys()]);
    return [...ids].sort().map((id) => this.get(id) as Board);
  }

  setPut(id: string, definition: BoardDefinition): void {
    this.put.set(id, built(id, definition, 'put'));
  }

  replacePut(definitions: ReadonlyMap<string, BoardDefinition>): void {
    const next = new Map<string, Board>();
    for (const [id, definition] of definitions) {
      // An unchanged definition keeps its object (and the caches keyed by it).
      const current = this.put.get(id);
      next.set(id, current && sameDefinition(current, definition) ? current : built(id, definition, 'put'));
    }
    this.put = next;
  }

  /** Replaces every config-declared board; returns the ids that are new or changed. */
  replaceConfig(boards: readonly ConfigBoard[]): string[] {
    const next = new Map<string, BoardDefinition>();
    for (const { id, ...definition } of boards) next.set(id, definition);
    const changed = [...next].filter(([id, d]) => JSON.stringify(this.configDefinitions.get(id)) !== JSON.stringify(d)).map(([id]) => id);
    const nextBoards = new Map<string, Board>();
    for (const [id, definition] of next) {
      const current = this.config.get(id);
      nextBoards.set(id, current && !changed.includes(id) ? current : built(id, definition, 'config'));
    }
    this.configDefinitions = next;
    this.config = nextBoards;
    return changed;
  }

  /** Ids defined both ways (the PUT-made one wins). */
  shadowed(): string[] {
    return [...this.config.keys()].filter((id) => this.put.has(id));
  }
}

const DEFINITION_FIELDS = ['order', 'operator', 'reset', 'regions', 'stat'] as const satisfies ReadonlyArray<keyof BoardDefinition>;

function sameDefinition(board: Board, definition: BoardDefinition): boolean {
  return DEFINITION_FIELDS.every((f) => JSON.stringify(board[f]) === JSON.stringify(definition[f]));
}
