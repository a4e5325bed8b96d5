import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeActivities } from '../../activities/probe';
import { probeWorkflow } from '../../workflows/probe';
import {
  connectTestTemporal,
  createTestWorker,
  type TestTemporal,
  uniqueTaskQueue,
} from '../helpers/temporal';

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
    const worker = await createTestWorker(temporal, { taskQueue, activities: createProbeActivities() });
    const result = await worker.runUntil(
      temporal.client.workflow.execute(probeWorkflow, { taskQueue, workflowId: taskQueue, args: ['ping'] }),
    );
    expect(result).toBe('ping');
  });
});
