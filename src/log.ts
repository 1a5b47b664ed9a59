// The pino logger. Authorization headers and keys never reach the log.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** A pino logger at `level`, writing to `destination` (default: stdout). */
export function createLogger(level: string = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'realmstate' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'apiKey', 'adminKey', '*.password'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

export const silentLogger: Logger = pino({ level: 'silent' });
