// Owns how a suite reaches the shared Temporal dev server and runs a real Worker on its own task queue.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';
import { temporalClientInterceptors } from '../../src/platform/telemetry';

/** The quiet logger of the suites' runtime, for a suite that installs the runtime itself. */
export const testRuntimeLogger = new DefaultLogger('ERROR');

let runtimeInstalled = false;

function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: testRuntimeLogger });
  } catch (error) {
    // The suite installed a runtime of its own first (the metrics suites: with the SDK's exporter).
    if (!(error instanceof IllegalStateError)) throw error;
  }
}

export interface TestTemporal {
  client: Client;
  connection: NativeConnection;
  close(): Promise<void>;
}

export async function connectTestTemporal(): Promise<TestTemporal> {
  quietRuntime();
  const address = inject('temporalAddress');
  const clientConnection = await Connection.connect({ address });
  const connection = await NativeConnection.connect({ address });
  return {
    // As the API's client: traced when the suite started tracing (src/platform/telemetry.ts).
    client: new Client({ connection: clientConnection, interceptors: temporalClientInterceptors() }),
    connection,
    async close() {
      await clientConnection.close();
      await connection.close();
    },
  };
}

export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Creates a Worker on the prebuilt test bundle; the caller runs it with `worker.runUntil`. */
export function createTestWorker(
  temporal: TestTemporal,
  options: Omit<WorkerOptions, 'connection' | 'workflowBundle' | 'workflowsPath'>,
): Promise<Worker> {
  return Worker.create({
    connection: temporal.connection,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    ...options,
  });
}
