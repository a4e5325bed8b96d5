// Owns an event's onsale: it opens the waiting room at salesOpenAt on a durable timer, then every few
// seconds measures the checkout path and sets the room's pace (tau) and session cap so admitted buyers
// stay fast, and closes the room when the event sells out. Support pauses, resumes and sets the target
// from the Temporal UI or CLI; each decision and each measurement behind it is in the history.
import {
  condition,
  continueAsNew,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OnsaleActivities } from '../../activities/onsale';
import { initialControl, nextControl } from '../../src/waiting-room/controller';
import type { OnsalePhase } from '../../src/waiting-room/room-state';
import { inventoryStep, step } from '../activity-options';
import { OnsaleStatus } from '../search-attributes';
import {
  type OnsaleInput,
  type OnsaleMeasurement,
  type OnsaleResult,
  type OnsaleSettings,
  type OnsaleStatus as OnsaleStatusView,
  type OnsaleSupportAction,
  type OnsaleSupportRequest,
  pauseSignal,
  resumeSignal,
  setTargetSessionsSignal,
  settingsChangedSignal,
  statusQuery,
} from './contract';

const { measureOnsale } = proxyLocalActivities<OnsaleActivities>(
  step(inventoryStep, 'measure the checkout path'),
);
const { publishRoom } = proxyLocalActivities<OnsaleActivities>(
  step(inventoryStep, "publish the room's state"),
);

const defaultTickSeconds = 2;
/** Ticks per run before continue-as-new, so the history stays small however long the onsale lasts. */
const ticksPerRun = 300;
/** Support actions kept in the status (the history keeps them all). */
const keptActions = 20;

export async function onsaleWorkflow(input: OnsaleInput): Promise<OnsaleResult> {
  const { eventId } = input;
  const tickMs = (input.tickSeconds ?? defaultTickSeconds) * 1000;
  let settings: OnsaleSettings = { salesOpenAt: input.salesOpenAt, waitingRoom: input.waitingRoom };
  let paused = input.carried?.paused ?? false;
  let targetSessions = input.carried?.targetSessions ?? null;
  let control = input.carried?.control ?? initialControl(settings.waitingRoom.maxActiveSessions);
  const supportActions: OnsaleSupportAction[] = [...(input.carried?.supportActions ?? [])];
  let lastMeasurement: OnsaleMeasurement | null = null;
  let phase: OnsalePhase = input.carried ? (paused ? 'PAUSED' : 'OPEN') : 'SCHEDULED';
  // Set by every signal, so a wait on the clock also ends when something changed.
  let changed = false;

  const note = (action: OnsaleSupportAction['action'], asked: OnsaleSupportRequest, outcome: string) => {
    supportActions.push({
      action,
      operator: asked.operator,
      reason: asked.reason,
      at: new Date().toISOString(),
      outcome,
    });
    supportActions.splice(0, Math.max(0, supportActions.length - keptActions));
    changed = true;
  };
  const maxActiveSessions = () => settings.waitingRoom.maxActiveSessions;

  setHandler(
    statusQuery,
    (): OnsaleStatusView => ({
      eventId,
      phase,
      salesOpenAt: settings.salesOpenAt,
      paused,
      targetSessions,
      maxActiveSessions: maxActiveSessions(),
      control,
      lastMeasurement,
      supportActions,
    }),
  );
  setHandler(pauseSignal, (asked) => {
    note('pause', asked, paused ? 'ignored: already paused' : 'paused: no admissions until resumed');
    paused = true;
  });
  setHandler(resumeSignal, (asked) => {
    note('resume', asked, paused ? 'resumed' : 'ignored: not paused');
    paused = false;
  });
  setHandler(setTargetSessionsSignal, (asked) => {
    const target = asked.targetSessions;
    if (target !== null && !(Number.isInteger(target) && target >= 1 && target <= maxActiveSessions())) {
      note('setTargetSessions', asked, `ignored: targetSessions must be 1..${maxActiveSessions()} or null`);
      return;
    }
    targetSessions = target;
    note(
      'setTargetSessions',
      asked,
      target === null ? 'target back to maxActiveSessions' : `target ${target}`,
    );
  });
  setHandler(settingsChangedSignal, (next) => {
    settings = next;
    changed = true;
  });

  let listedAs: OnsalePhase | undefined;
  const publish = async () => {
    // Only a change of phase is upserted: one command per change, not per tick.
    if (phase !== listedAs) upsertSearchAttributes([{ key: OnsaleStatus, value: phase }]);
    listedAs = phase;
    await publishRoom({
      eventId,
      state: {
        phase,
        tau: control.tau,
        sessionCap: control.sessionCap,
        maxActiveSessions: maxActiveSessions(),
        updatedAt: new Date().toISOString(),
      },
    });
  };
  const close = async (last: 'SOLD_OUT' | 'CLOSED'): Promise<OnsaleResult> => {
    phase = last;
    await publish();
    return { phase: last };
  };

  // Until the sale opens: one durable timer, restarted when the organizer moves salesOpenAt.
  if (phase === 'SCHEDULED') {
    await publish();
    for (;;) {
      if (!settings.waitingRoom.enabled) return close('CLOSED');
      const untilOpen = (settings.salesOpenAt ? Date.parse(settings.salesOpenAt) : 0) - Date.now();
      if (untilOpen <= 0) break;
      changed = false;
      await condition(() => changed, untilOpen);
    }
  }

  // Open: measure, steer, publish, every tick.
  for (let tick = 0; ; tick++) {
    if (!settings.waitingRoom.enabled) return close('CLOSED');
    lastMeasurement = await measureOnsale({ eventId });
    if (lastMeasurement.availableSeats === 0 && lastMeasurement.heldSeats === 0) return close('SOLD_OUT');
    control = nextControl(control, lastMeasurement, {
      targetSessions: Math.min(targetSessions ?? maxActiveSessions(), maxActiveSessions()),
      horizonSeconds: tickMs / 1000,
    });
    phase = paused ? 'PAUSED' : 'OPEN';
    await publish();
    if (tick + 1 >= ticksPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof onsaleWorkflow>({
        ...input,
        ...settings,
        carried: { control, paused, targetSessions, supportActions },
      });
    }
    changed = false;
    await condition(() => changed, tickMs);
  }
}
