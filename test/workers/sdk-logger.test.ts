// The Temporal SDK's lines in a worker go to its pino logger, at LOG_LEVEL: below it nothing is written.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger';
import { sdkLoggerOf } from '../../workers/sdk-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, destination };
}

describe('the SDK logger of a worker process', () => {
  it('writes only lines at or above LOG_LEVEL, as JSON with their metadata', async () => {
    const { lines, destination } = capture();
    const sdk = sdkLoggerOf(createLogger('warn', 'sdk-logger-test', destination));
    sdk.info('reservation transition', { reservationId: 'rsv_1', status: 'HELD' });
    sdk.log('DEBUG', 'polling');
    sdk.warn('workflow task failed', { workflowId: 'rsv_2' });
    sdk.log('ERROR', 'worker failed', { taskQueue: 'q' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [40, 'workflow task failed'],
      [50, 'worker failed'],
    ]);
    expect(lines[0]).toMatchObject({ workflowId: 'rsv_2', service: 'sdk-logger-test' });
  });
});
