// Owns the smallest useful workflow: start, one no-op activity, complete. The flash-sale benchmark uses
// it as the floor of what this Temporal server can do; it is bench code, not part of the product.
import { proxyActivities } from '@temporalio/workflow';
import type { ProbeActivities } from './activities';

const { probe } = proxyActivities<ProbeActivities>({ startToCloseTimeout: '10s' });

export async function probeWorkflow(input: string): Promise<string> {
  return probe(input);
}
