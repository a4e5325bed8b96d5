// Owns what the flash sale asks Temporal about its workflows: what one cost (history events, workflow
// tasks, the wait for the first task) and how many an event started (visibility).
import type { Client } from '@temporalio/client';

/** temporal.api.enums.v1.EventType values the history summary counts. */
const eventType = {
  workflowExecutionStarted: 1,
  workflowTaskStarted: 6,
  workflowTaskCompleted: 7,
  activityTaskScheduled: 10,
  timerStarted: 17,
  markerRecorded: 25,
  upsertWorkflowSearchAttributes: 40,
} as const;

export type HistorySummary = Awaited<ReturnType<typeof historyOf>>;

/** What one workflow costs Temporal: history events and workflow tasks of a checkout or a probe. */
export async function historyOf(client: Client, workflowId: string) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const count = (type: number) => events.filter((event) => Number(event.eventType) === type).length;
  const at = (type: number) => {
    const time = events.find((event) => Number(event.eventType) === type)?.eventTime;
    return time ? Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6 : Number.NaN;
  };
  return {
    // The hold: from the start to the first workflow task's pickup, and the task itself (local activities).
    firstTaskWaitMs: Math.round(at(eventType.workflowTaskStarted) - at(eventType.workflowExecutionStarted)),
    firstTaskRunMs: Math.round(at(eventType.workflowTaskCompleted) - at(eventType.workflowTaskStarted)),
    events: events.length,
    workflowTasks: count(eventType.workflowTaskCompleted),
    activities: count(eventType.activityTaskScheduled),
    localActivityMarkers: count(eventType.markerRecorded),
    searchAttributeUpserts: count(eventType.upsertWorkflowSearchAttributes),
    timers: count(eventType.timerStarted),
  };
}

/** Reservation workflows of an event (as visibility sees them), optionally narrowed by `extra`. */
export async function countWorkflows(client: Client, eventId: string, extra = ''): Promise<number> {
  return (await client.workflow.count(`EventId = "${eventId}"${extra}`)).count;
}
