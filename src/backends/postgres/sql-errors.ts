// Classifies driver errors: a database that is down or refuses (connection lost, admin shutdown,
// revoked privilege, disk full, read-only) becomes UnavailableError, so requests get 503 and writers retry.
import { UnavailableError } from '../../errors.js';

/** The connection failed while COMMIT was in flight: the transaction may or may not have committed. */
export class CommitUnknownError extends UnavailableError {
  readonly commitUnknown = true;
}

export function isCommitUnknown(err: unknown): err is CommitUnknownError {
  return err instanceof CommitUnknownError;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** True for errors that say "the database is not available to us now" rather than "this statement is wrong". */
export function isUnavailability(err: unknown): boolean {
  if (err instanceof UnavailableError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // SQLSTATE classes: 08 connection exception, 53 insufficient resources, 57 operator intervention (admin shutdown),
    // 42501 insufficient privilege (revoked), 25006 read-only transaction, 58 system error (I/O).
    if (/^(08|53|57|58)/.test(code) || code === '42501' || code === '25006') return true;
  }
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable|closed/i.test(message);
}

export function toUnavailable(label: string, err: unknown): unknown {
  if (err instanceof UnavailableError) return err;
  const misconfigured = explainMisconfiguration(label, err);
  if (misconfigured) return misconfigured;
  if (!isUnavailability(err)) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new UnavailableError(`${label} is unavailable: ${reason}`, { cause: err });
}

/**
 * True when the database refused a statement for the values it carries (SQLSTATE class 22, data exception: a string
 * jsonb cannot hold, a number out of range). Retrying the same rows can never succeed, and the shard itself is fine.
 */
export function isDataRefusal(err: unknown): boolean {
  if (err instanceof UnavailableError || typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/**
 * A URL of the settings that names a database, a user or a password PostgreSQL does not know: the message names the
 * shard and the variable to fix, not only what the driver said (`database "x" does not exist`).
 */
function explainMisconfiguration(label: string, err: unknown): Error | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code !== '3D000' && code !== '28000' && code !== '28P01') return undefined;
  const variable = label.startsWith('replica') ? 'DATABASE_REPLICA_URLS' : 'DATABASE_URLS';
  const fix = code === '3D000' ? `create it (createdb) or fix its entry in ${variable}` : `fix the user or password of its entry in ${variable}`;
  return new Error(`${label}: ${(err as Error).message}; ${fix}`, { cause: err });
}
