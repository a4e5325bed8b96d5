// Owns the check that the benchmark's probe (its workflow entry and activity) runs on a real worker.
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeActivities } from '../../bench/probe/activities';
import { probeWorkflow } from '../../bench/probe/workflow';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from '../helpers/temporal';

describe('worker on the Temporal dev server', () => {
  let temporal: TestTemporal;
  beforeAll(async () => {
    temporal = await connectTestTemporal();
  });
  afterAll(async () => {
    await temporal.close();
  });

  it('runs a bundled workflow and its activity to completion', async () => {
    const taskQueue = uniqueTaskQueue('probe');
    // The probe is bench code, absent from the shared test bundle: bundle the benchmark's own entry.
    const worker = await Worker.create({
      connection: temporal.connection,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../../bench/probe/workflows.ts', import.meta.url)),
      activities: createProbeActivities(),
    });
    const result = await worker.runUntil(
      temporal.client.workflow.execute(probeWorkflow, { taskQueue, workflowId: taskQueue, args: ['ping'] }),
    );
    expect(result).toBe('ping');
  });
});
