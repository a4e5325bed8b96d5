// Guards tracing against SDK issue #2023. With Temporal's stock OpenTelemetry workflow interceptors, the
// span of an update validator or of a query draws on the workflow's random sequence, and a replay never
// runs those again: a uuid4() drawn after them differs on replay, and a child workflow named with it is a
// nondeterminism error. The probe's history must replay with our interceptors (workflows/tracing.ts); with
// the stock module it must still fail, or the probe no longer shows the issue (and once the SDK fixes it,
// the workaround's reason is gone).
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerTracing } from '../../src/platform/telemetry';
import { workflowInterceptorModules } from '../../workers/bundle';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from '../helpers/temporal';
import { ticksQuery, tickUpdate, tracingProbe } from './tracing-probe';

const probePath = fileURLToPath(new URL('./tracing-probe.ts', import.meta.url));
const stockInterceptors = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

describe('tracing and workflow determinism (SDK issue #2023)', () => {
  let temporal: TestTemporal;
  let client: Client;
  beforeAll(async () => {
    temporal = await connectTestTemporal();
    // Traced calls, as the API makes them: every update and query carries a trace header.
    client = new Client({
      connection: temporal.client.connection,
      interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    });
  });
  afterAll(async () => {
    await temporal.close();
  });

  /** Runs the probe through a refused update and a query on a live worker; returns its history. */
  async function probeHistory(code: string) {
    const taskQueue = uniqueTaskQueue('tracing-probe');
    const worker = await Worker.create({
      connection: temporal.connection,
      taskQueue,
      workflowBundle: { code },
      ...workerTracing(),
    });
    return worker.runUntil(async () => {
      const handle = await client.workflow.start(tracingProbe, { taskQueue, workflowId: randomUUID() });
      await handle.executeUpdate(tickUpdate, { args: [1] });
      await expect(handle.executeUpdate(tickUpdate, { args: [0] })).rejects.toThrow(
        WorkflowUpdateFailedError,
      );
      expect(await handle.query(ticksQuery)).toBe(1);
      await handle.executeUpdate(tickUpdate, { args: [1] });
      expect(await handle.result()).toBe('done');
      return handle.fetchHistory();
    });
  }

  async function replay(code: string) {
    const history = await probeHistory(code);
    await Worker.runReplayHistory({ workflowBundle: { code }, ...workerTracing() }, history);
  }

  it('replays a history with refused updates and queries when our interceptors are bundled', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: probePath,
      workflowInterceptorModules,
      logger: quiet,
    });
    await replay(code);
  });

  it('fails to replay it with the stock interceptors, which draw span ids from the workflow sequence', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: probePath,
      workflowInterceptorModules: [stockInterceptors],
      logger: quiet,
    });
    await expect(replay(code)).rejects.toThrow(/[Nn]ondeterminism/);
  });
});
