// SPDX-License-Identifier: GPL-2.0-or-later
/** pino JSON logs on stdout: one event name per line (`event`), eve-like fields for packets. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination: pino.DestinationStream | number = 1): Logger {
  return pino(
    {
      level,
      base: { service: 'ftwall' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination,
  );
}
