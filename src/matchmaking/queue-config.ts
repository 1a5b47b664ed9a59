// The `matchmaking` block of the game config (API.md "Matchmaking"): queues, and the steps by which a queue's
// skill window and latency cap widen with the wait of a match's oldest ticket.
import { z } from 'zod';
import { NAME_PATTERN } from '../players/player-state.js';

const name = z.string().regex(NAME_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 _ - . :');

/** A wait step: from `afterSeconds` of waiting on, `value` is in force. */
export interface WaitStep {
  afterSeconds: number;
  value: number;
}

const afterSeconds = z.number().min(0).max(86_400);

const skillStep = z.object({ afterSeconds, maxSpread: z.number().min(0).max(1_000_000) }).strict();
const latencyStep = z.object({ afterSeconds, maxMs: z.number().min(0).max(60_000) }).strict();

/** Steps must start at 0 s, go forward in time, and only widen: a match allowed for a younger oldest ticket stays allowed. */
function checkSteps<S extends { afterSeconds: number }>(steps: readonly S[], value: (s: S) => number, ctx: z.RefinementCtx): void {
  if (steps[0] && steps[0].afterSeconds !== 0) ctx.addIssue({ code: 'custom', path: [0, 'afterSeconds'], message: 'the first step must start at afterSeconds 0' });
  for (let i = 1; i < steps.length; i++) {
    const prev = steps[i - 1] as S;
    const cur = steps[i] as S;
    if (cur.afterSeconds <= prev.afterSeconds) ctx.addIssue({ code: 'custom', path: [i, 'afterSeconds'], message: 'afterSeconds must increase from step to step' });
    if (value(cur) < value(prev)) ctx.addIssue({ code: 'custom', path: [i], message: 'a later step must not narrow the previous one' });
  }
}

export const queueConfigSchema = z
  .object({
    name,
    teams: z.number().int().min(2).max(16),
    teamSize: z.number().int().min(1).max(64),
    partyMax: z.number().int().min(1).max(64).optional(),
    regions: z.array(name).min(1).max(32),
    maxWaitSeconds: z.number().min(1).max(86_400).default(120),
    rating: z
      .object({ mu: z.number().min(-1_000_000).max(1_000_000).default(25), sigma: z.number().gt(0).max(1_000_000).default(25 / 3) })
      .strict()
      .prefault({}),
    skill: z
      .array(skillStep)
      .min(1)
      .max(32)
      .superRefine((steps, ctx) => checkSteps(steps, (s) => s.maxSpread, ctx)),
    latency: z
      .array(latencyStep)
      .min(1)
      .max(32)
      .superRefine((steps, ctx) => checkSteps(steps, (s) => s.maxMs, ctx)),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.partyMax !== undefined && q.partyMax > q.teamSize) ctx.addIssue({ code: 'custom', path: ['partyMax'], message: `partyMax must be at most teamSize (${q.teamSize})` });
    if (new Set(q.regions).size !== q.regions.length) ctx.addIssue({ code: 'custom', path: ['regions'], message: 'regions must not repeat' });
  })
  .transform((q) => ({ ...q, partyMax: q.partyMax ?? q.teamSize }));

export const matchmakingConfigSchema = z
  .object({
    queues: z
      .array(queueConfigSchema)
      .max(100)
      .superRefine((queues, ctx) => {
        const seen = new Set<string>();
        queues.forEach((q, i) => {
          if (seen.has(q.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate queue name "${q.name}"` });
          seen.add(q.name);
        });
      })
      .default([]),
  })
  .strict();

export type QueueConfig = z.output<typeof queueConfigSchema>;
export type MatchmakingConfig = z.output<typeof matchmakingConfigSchema>;

/** The value of the last step whose `afterSeconds` the wait has reached. */
export function stepValue(steps: readonly WaitStep[], waitSeconds: number): number {
  let value = (steps[0] as WaitStep).value;
  for (const s of steps) {
    if (waitSeconds >= s.afterSeconds) value = s.value;
    else break;
  }
  return value;
}

/** A queue's steps in the shape the matcher reads. */
export interface QueueRules {
  queue: QueueConfig;
  skill: WaitStep[];
  latency: WaitStep[];
}

export function queueRules(queue: QueueConfig): QueueRules {
  return {
    queue,
    skill: queue.skill.map((s) => ({ afterSeconds: s.afterSeconds, value: s.maxSpread })),
    latency: queue.latency.map((s) => ({ afterSeconds: s.afterSeconds, value: s.maxMs })),
  };
}
