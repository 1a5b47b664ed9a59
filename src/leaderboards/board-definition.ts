// A leaderboard's definition, as PUT /v1/leaderboards/{board} takes it and the game config lists it (API.md).
import { z } from 'zod';
import { NAME_PATTERN } from '../players/player-state.js';

const name = z.string().regex(NAME_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 _ - . :');

export const BOARD_ORDERS = ['desc', 'asc'] as const;
export const BOARD_OPERATORS = ['best', 'set', 'incr'] as const;
export const BOARD_RESETS = ['never', 'daily', 'weekly', 'monthly'] as const;
export const MAX_REGIONS = 32;

export const boardDefinitionSchema = z
  .object({
    order: z.enum(BOARD_ORDERS),
    operator: z.enum(BOARD_OPERATORS),
    reset: z.enum(BOARD_RESETS).default('never'),
    regions: z
      .array(name)
      .min(1)
      .max(MAX_REGIONS)
      .refine((r) => new Set(r).size === r.length, 'regions must be distinct')
      .optional(),
    stat: name.optional(),
  })
  .strict();

export type BoardDefinition = z.output<typeof boardDefinitionSchema>;

/** A board as the game config declares it: the definition plus its id. */
export const configBoardSchema = boardDefinitionSchema.extend({ id: name }).strict();
export type ConfigBoard = z.output<typeof configBoardSchema>;
