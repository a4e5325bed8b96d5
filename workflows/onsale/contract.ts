// Owns the onsale workflow's contract: its id, input, support's signals, the status query and what it
// returns. The API and support's tools import this; the workflow implements it.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { WaitingRoomSettings } from '../../src/inventory/events';
import type { Control, Measurement } from '../../src/waiting-room/controller';
import type { OnsalePhase } from '../../src/waiting-room/room-state';

/** One onsale workflow per event: `onsale-<eventId>`. */
export const onsaleWorkflowId = (eventId: string) => `onsale-${eventId}`;

/** What the organizer set: when the sale opens and the room's settings. */
export interface OnsaleSettings {
  salesOpenAt: string | null;
  waitingRoom: WaitingRoomSettings;
}

export interface OnsaleInput extends OnsaleSettings {
  eventId: string;
  /** Seconds between two measurements of the checkout path (a few: the API caches the room's state). */
  tickSeconds?: number;
  /** What a previous run handed over at continue-as-new. */
  carried?: CarriedState;
}

export interface CarriedState {
  control: Control;
  paused: boolean;
  targetSessions: number | null;
  supportActions: OnsaleSupportAction[];
}

export interface OnsaleSupportRequest {
  reason: string;
  operator: string;
}

export interface SetTargetRequest extends OnsaleSupportRequest {
  /** Sessions to allow at once, 1..maxActiveSessions; null returns to maxActiveSessions. */
  targetSessions: number | null;
}

export interface OnsaleSupportAction {
  action: 'pause' | 'resume' | 'setTargetSessions';
  operator: string;
  reason: string;
  at: string;
  outcome: string;
}

/** The last measurement and what the controller made of it. */
export interface OnsaleMeasurement extends Measurement {
  availableSeats: number;
  heldSeats: number;
  admittedTotal: number;
  /** Sessions ended at this tick because their checkout finished. */
  endedSessions: number;
}

export interface OnsaleStatus {
  eventId: string;
  phase: OnsalePhase;
  salesOpenAt: string | null;
  paused: boolean;
  targetSessions: number | null;
  maxActiveSessions: number;
  control: Control;
  lastMeasurement: OnsaleMeasurement | null;
  supportActions: OnsaleSupportAction[];
}

export interface OnsaleResult {
  phase: 'SOLD_OUT' | 'CLOSED';
}

export const statusQuery = defineQuery<OnsaleStatus>('status');
export const pauseSignal = defineSignal<[OnsaleSupportRequest]>('pause');
export const resumeSignal = defineSignal<[OnsaleSupportRequest]>('resume');
export const setTargetSessionsSignal = defineSignal<[SetTargetRequest]>('setTargetSessions');
/** The organizer changed salesOpenAt or the room (PATCH /v1/events/{eventId}). */
export const settingsChangedSignal = defineSignal<[OnsaleSettings]>('settingsChanged');

export const onsaleWorkflowType = 'onsaleWorkflow';
