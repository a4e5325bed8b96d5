// Owns the Temporal SDK's logger in a worker process: the SDK's own lines and the workflows' (`log` from
// @temporalio/workflow, through the SDK's sink) go to the process's pino logger, as JSON at LOG_LEVEL like
// every other line. The SDK's default logger printed each at INFO whatever LOG_LEVEL said: a flash sale's
// workers spent CPU formatting thousands of reservation transitions nobody had asked for.
import type { LogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import type { Logger } from '../src/platform/logger';

const pinoLevels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

export function sdkLoggerOf(log: Logger): SdkLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const method = pinoLevels[level];
    // pino checks the level before it formats anything.
    if (log.isLevelEnabled(method)) log[method](meta ?? {}, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
