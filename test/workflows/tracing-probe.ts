// A workflow shaped like SDK issue #2023's reproduction, bundled only by its test: after updates with a
// validator (one refused) and a query, it names a child workflow with uuid4(), which a replay must redraw.
import { condition, defineQuery, defineUpdate, executeChild, setHandler, uuid4 } from '@temporalio/workflow';

export const tickUpdate = defineUpdate<number, [number]>('tick');
export const ticksQuery = defineQuery<number>('ticks');

export async function tracingProbe(): Promise<string> {
  let ticks = 0;
  setHandler(
    tickUpdate,
    (by) => {
      ticks += by;
      return ticks;
    },
    {
      validator: (by) => {
        if (by <= 0) throw new Error('a tick must be positive');
      },
    },
  );
  setHandler(ticksQuery, () => ticks);
  await condition(() => ticks >= 2);
  return executeChild(tracingProbeChild, { workflowId: `tracing-probe-child-${uuid4()}` });
}

export async function tracingProbeChild(): Promise<string> {
  return 'done';
}
