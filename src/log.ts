// The pino logger. Authorization headers and keys never reach the log.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = 'info'): Logger {
  return pino({
    level,
    base: { service: 'realmstate' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'apiKey', 'adminKey', '*.password'], censor: '[redacted]' },
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });
