// Owns the search attributes that make reservations findable in the Temporal UI and CLI. The dev stack,
// the tests and docker-compose register exactly these.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const EventId = defineSearchAttributeKey('EventId', SearchAttributeType.KEYWORD);
export const BuyerId = defineSearchAttributeKey('BuyerId', SearchAttributeType.KEYWORD);
export const ReservationStatus = defineSearchAttributeKey('ReservationStatus', SearchAttributeType.KEYWORD);
export const PaymentIntentId = defineSearchAttributeKey('PaymentIntentId', SearchAttributeType.KEYWORD);
export const OrderId = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const SeatCount = defineSearchAttributeKey('SeatCount', SearchAttributeType.INT);
export const HoldExpiresAt = defineSearchAttributeKey('HoldExpiresAt', SearchAttributeType.DATETIME);
/** An event's onsale workflow: SCHEDULED, OPEN, PAUSED, SOLD_OUT or CLOSED (src/waiting-room/room-state.ts). */
export const OnsaleStatus = defineSearchAttributeKey('OnsaleStatus', SearchAttributeType.KEYWORD);

export const searchAttributeKeys = [
  EventId,
  BuyerId,
  ReservationStatus,
  PaymentIntentId,
  OrderId,
  SeatCount,
  HoldExpiresAt,
  OnsaleStatus,
];
