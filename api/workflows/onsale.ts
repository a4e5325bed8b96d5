// Owns the API's conversation with onsale workflows: start an event's onsale (or tell the running one)
// when its organizer creates or changes a waiting room, and read its status.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { EventRecord } from '../../src/inventory/events';
import type { Config } from '../../src/platform/config';
import {
  type OnsaleInput,
  type OnsaleSettings,
  type OnsaleStatus as OnsaleStatusView,
  onsaleWorkflowId,
  onsaleWorkflowType,
  settingsChangedSignal,
  statusQuery,
} from '../../workflows/onsale/contract';
import { EventId, OnsaleStatus } from '../../workflows/search-attributes';

export function createOnsale(deps: { temporal: Client; config: Pick<Config, 'temporal'> }) {
  const { temporal, config } = deps;
  return {
    /**
     * Brings the event's onsale workflow in line with its settings: started (or told of the change) while
     * the room is enabled; told, if it runs, when the room is switched off or removed, so it closes.
     */
    async apply(
      event: Pick<EventRecord, 'id' | 'name' | 'salesOpenAt' | 'waitingRoom'>,
      before?: Pick<EventRecord, 'waitingRoom'>,
    ): Promise<void> {
      const room =
        event.waitingRoom ?? (before?.waitingRoom ? { ...before.waitingRoom, enabled: false } : null);
      if (!room) return;
      const settings: OnsaleSettings = { salesOpenAt: event.salesOpenAt, waitingRoom: room };
      const workflowId = onsaleWorkflowId(event.id);
      if (!room.enabled) {
        try {
          await temporal.workflow.getHandle(workflowId).signal(settingsChangedSignal, settings);
        } catch (error) {
          // No onsale runs: nothing to close.
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
        return;
      }
      const input: OnsaleInput = { eventId: event.id, ...settings };
      await temporal.workflow.signalWithStart(onsaleWorkflowType, {
        workflowId,
        taskQueue: config.temporal.taskQueue,
        args: [input],
        signal: settingsChangedSignal,
        signalArgs: [settings],
        typedSearchAttributes: [
          { key: EventId, value: event.id },
          { key: OnsaleStatus, value: 'SCHEDULED' },
        ],
        staticSummary: `onsale · ${event.name} · ${event.id}`,
        staticDetails:
          `The waiting room of event \`${event.id}\`: opens at ${event.salesOpenAt ?? 'once created'}, ` +
          `at most ${room.maxActiveSessions} buyers shopping at once. Signals: pause, resume, ` +
          'setTargetSessions ({reason, operator[, targetSessions]}); query: status.',
      });
    },

    async status(eventId: string): Promise<OnsaleStatusView | undefined> {
      try {
        return await temporal.workflow.getHandle(onsaleWorkflowId(eventId)).query(statusQuery);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw error;
      }
    },
  };
}

export type Onsale = ReturnType<typeof createOnsale>;
