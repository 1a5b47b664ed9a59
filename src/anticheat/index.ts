export { Anticheat, type AnticheatOptions, type BanResult } from './anticheat-service.js';
export { anticheatConfigSchema, ruleSchema, type Rule, type RuleKind, type RuleAction, type AnticheatConfig } from './rule-schema.js';
export type { Flag, FlagQuery, FlagStatus, FlagStore, HeldScore, NewFlag } from './flag-store.js';
export type { AuditEntry } from './audit-log.js';
export { installAudit, nameAuditAction, type AuditName } from './audit-hook.js';
