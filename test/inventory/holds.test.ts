import { describe, expect, it } from 'vitest';
import { commitSeatsTx, holdSeatsTx, voidSeatsTx } from '../../src/inventory/seats';
import { withTransaction } from '../../src/platform/db';
import {
  createTestEvent,
  failureOf,
  seatEvents,
  seatStates,
  section,
  testInventory,
  uniqueId,
} from './helpers';

const { pool, seatMap, inventory } = testInventory(10);

describe('holdSeats', () => {
  it('holds every requested seat for the reservation and audits each transition', async () => {
    const event = await createTestEvent(pool, { holdSeconds: 90 });
    const reservationId = uniqueId('res');
    const hold = await inventory.holdSeats({
      reservationId,
      buyerId: 'alice',
      eventId: event.id,
      request: { seatIds: ['A-1-1', 'A-1-2'] },
    });

    expect(hold).toMatchObject({
      seats: [
        { id: 'A-1-1', price: 2500 },
        { id: 'A-1-2', price: 2500 },
      ],
      amount: 5000,
      currency: 'EUR',
      holdSeconds: 90,
    });
    const held = (await seatStates(pool, event.id)).filter((seat) => seat.status === 'held');
    expect(held.map((seat) => [seat.seat_id, seat.reservation_id, seat.buyer_id])).toEqual([
      ['A-1-1', reservationId, 'alice'],
      ['A-1-2', reservationId, 'alice'],
    ]);
    const heldUntil = held[0]?.held_until?.getTime() ?? 0;
    expect(Math.abs(heldUntil - Date.now() - 90_000)).toBeLessThan(10_000);
    expect(await seatEvents(pool, event.id)).toEqual(
      ['A-1-1', 'A-1-2'].map((seatId) => ({
        seat_id: seatId,
        from_status: 'available',
        to_status: 'held',
        reservation_id: reservationId,
        order_id: null,
        actor: 'alice',
        reason: 'hold',
      })),
    );
  });

  it('refuses the whole hold when one seat is taken, naming it, and changes nothing', async () => {
    const event = await createTestEvent(pool);
    await inventory.holdSeats({
      reservationId: uniqueId('res'),
      buyerId: 'bob',
      eventId: event.id,
      request: { seatIds: ['A-1-3'] },
    });
    const before = await seatStates(pool, event.id);

    const failure = await failureOf(
      inventory.holdSeats({
        reservationId: uniqueId('res'),
        buyerId: 'carol',
        eventId: event.id,
        request: { seatIds: ['A-1-2', 'A-1-3', 'A-1-4'] },
      }),
    );

    expect(failure).toEqual({ code: 'SEATS_UNAVAILABLE', details: { unavailableSeatIds: ['A-1-3'] } });
    expect(await seatStates(pool, event.id)).toEqual(before);
  });

  it('lists seats the event does not have as UNKNOWN_SEATS', async () => {
    const event = await createTestEvent(pool);
    const failure = await failureOf(
      inventory.holdSeats({
        reservationId: uniqueId('res'),
        buyerId: 'dan',
        eventId: event.id,
        request: { seatIds: ['A-1-1', 'A-9-1', 'Z-1-1'] },
      }),
    );
    expect(failure).toEqual({ code: 'UNKNOWN_SEATS', details: { unknownSeatIds: ['A-9-1', 'Z-1-1'] } });
    expect((await seatStates(pool, event.id)).every((seat) => seat.status === 'available')).toBe(true);
  });

  it.each([
    ['duplicate seat ids', { seatIds: ['A-1-1', 'A-1-1'] }],
    ['no seats', { seatIds: [] }],
    ['too many seats', { seatIds: Array.from({ length: 51 }, (_, i) => `A-1-${i}`) }],
    ['a zero quantity', { section: 'A', quantity: 0 }],
    ['a fractional quantity', { section: 'A', quantity: 1.5 }],
    ['an unknown section', { section: 'NOPE', quantity: 1 }],
    ['seat ids mixed with best available', { seatIds: ['A-1-1'], section: 'A' }],
  ])('rejects %s as VALIDATION_FAILED', async (_name, request) => {
    const event = await createTestEvent(pool);
    const failure = await failureOf(
      inventory.holdSeats({
        reservationId: uniqueId('res'),
        buyerId: 'erin',
        eventId: event.id,
        request: request as never,
      }),
    );
    expect(failure.code).toBe('VALIDATION_FAILED');
    expect(await seatEvents(pool, event.id)).toEqual([]);
  });

  it('picks the best available seats front rows first', async () => {
    const event = await createTestEvent(pool, { sections: [section('A', 3, 4)] });
    await inventory.holdSeats({
      reservationId: uniqueId('res'),
      buyerId: 'fay',
      eventId: event.id,
      request: { seatIds: ['A-1-2'] },
    });
    const hold = await inventory.holdSeats({
      reservationId: uniqueId('res'),
      buyerId: 'gus',
      eventId: event.id,
      request: { section: 'A', quantity: 4 },
    });
    expect(hold.seats.map((seat) => seat.id)).toEqual(['A-1-1', 'A-1-3', 'A-1-4', 'A-2-1']);
  });

  it('holds adjacent seats in one row, skipping rows without a long enough run', async () => {
    const event = await createTestEvent(pool, { sections: [section('A', 3, 6)] });
    // Row 1 keeps runs of 2 and 3 free; row 2 is the first with 4 in a row.
    await inventory.holdSeats({
      reservationId: uniqueId('res'),
      buyerId: 'hal',
      eventId: event.id,
      request: { seatIds: ['A-1-3'] },
    });
    const hold = await inventory.holdSeats({
      reservationId: uniqueId('res'),
      buyerId: 'ivy',
      eventId: event.id,
      request: { section: 'A', quantity: 4, adjacent: true },
    });
    expect(hold.seats.map((seat) => seat.id)).toEqual(['A-2-1', 'A-2-2', 'A-2-3', 'A-2-4']);
  });

  it('refuses best available when the section has too few seats, holding none', async () => {
    const event = await createTestEvent(pool, { sections: [section('A', 1, 3)] });
    const failure = await failureOf(
      inventory.holdSeats({
        reservationId: uniqueId('res'),
        buyerId: 'jo',
        eventId: event.id,
        request: { section: 'A', quantity: 4 },
      }),
    );
    expect(failure.code).toBe('SEATS_UNAVAILABLE');
    expect(failure.details).toMatchObject({ unavailableSeatIds: [], section: 'A', requested: 4 });
    expect((await seatStates(pool, event.id)).every((seat) => seat.status === 'available')).toBe(true);
  });

  it('counts held and sold seats against the buyer limit', async () => {
    const event = await createTestEvent(pool, { maxSeatsPerBuyer: 4 });
    const first = uniqueId('res');
    await inventory.holdSeats({
      reservationId: first,
      buyerId: 'kim',
      eventId: event.id,
      request: { seatIds: ['A-1-1', 'A-1-2'] },
    });
    await inventory.commitSeats({ reservationId: first, orderId: uniqueId('ord') });
    await inventory.holdSeats({
      reservationId: uniqueId('res'),
      buyerId: 'kim',
      eventId: event.id,
      request: { seatIds: ['A-1-3'] },
    });

    const failure = await failureOf(
      inventory.holdSeats({
        reservationId: uniqueId('res'),
        buyerId: 'kim',
        eventId: event.id,
        request: { section: 'A', quantity: 2 },
      }),
    );

    expect(failure).toEqual({
      code: 'BUYER_LIMIT_EXCEEDED',
      details: { limit: 4, alreadyHeld: 3, requested: 2 },
    });
    // Another buyer is not affected.
    await inventory.holdSeats({
      reservationId: uniqueId('res'),
      buyerId: 'lee',
      eventId: event.id,
      request: { section: 'A', quantity: 4 },
    });
  });

  it('lets only one of two concurrent holds of one buyer past the limit', async () => {
    const event = await createTestEvent(pool, { maxSeatsPerBuyer: 3 });
    const outcomes = await Promise.allSettled(
      [0, 1, 2, 3].map(() =>
        inventory.holdSeats({
          reservationId: uniqueId('res'),
          buyerId: 'max',
          eventId: event.id,
          request: { section: 'A', quantity: 2 },
        }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const held = (await seatStates(pool, event.id)).filter((seat) => seat.buyer_id === 'max');
    expect(held).toHaveLength(2);
  });

  it('refuses holds before sales open', async () => {
    const salesOpenAt = new Date(Date.now() + 3_600_000).toISOString();
    const event = await createTestEvent(pool, { salesOpenAt });
    const failure = await failureOf(
      inventory.holdSeats({
        reservationId: uniqueId('res'),
        buyerId: 'ned',
        eventId: event.id,
        request: { seatIds: ['A-1-1'] },
      }),
    );
    expect(failure.code).toBe('SALES_NOT_OPEN');
    expect(new Date(failure.details.salesOpenAt as string).toISOString()).toBe(salesOpenAt);
  });

  it('answers EVENT_NOT_FOUND for an event that does not exist', async () => {
    const failure = await failureOf(
      inventory.holdSeats({
        reservationId: uniqueId('res'),
        buyerId: 'oz',
        eventId: uniqueId('evt'),
        request: { seatIds: ['A-1-1'] },
      }),
    );
    expect(failure.code).toBe('EVENT_NOT_FOUND');
  });

  it('returns the seats it already holds when repeated, whatever the repeat asks for', async () => {
    const event = await createTestEvent(pool);
    const input = {
      reservationId: uniqueId('res'),
      buyerId: 'pia',
      eventId: event.id,
      request: { section: 'A', quantity: 3 },
    };
    const first = await inventory.holdSeats(input);
    const again = await inventory.holdSeats(input);
    const different = await inventory.holdSeats({ ...input, request: { seatIds: ['A-2-1'] } });

    expect(again).toEqual(first);
    expect(different.seats).toEqual(first.seats);
    expect(await seatEvents(pool, event.id)).toHaveLength(3);
  });

  it('holds once when the same reservation is held concurrently', async () => {
    const event = await createTestEvent(pool);
    const input = {
      reservationId: uniqueId('res'),
      buyerId: 'quin',
      eventId: event.id,
      request: { seatIds: ['A-1-5', 'A-1-6'] },
    };
    const results = await Promise.all(Array.from({ length: 12 }, () => inventory.holdSeats(input)));
    for (const result of results) expect(result.seats).toEqual(results[0]?.seats);
    expect(await seatEvents(pool, event.id)).toHaveLength(2);
  });
});

describe('commitSeats', () => {
  async function held(buyerId: string) {
    const event = await createTestEvent(pool);
    const reservationId = uniqueId('res');
    await inventory.holdSeats({
      reservationId,
      buyerId,
      eventId: event.id,
      request: { seatIds: ['A-1-1', 'A-1-2'] },
    });
    return { event, reservationId, orderId: uniqueId('ord') };
  }

  it('sells the held seats to the order', async () => {
    const { event, reservationId, orderId } = await held('rae');
    const result = await inventory.commitSeats({ reservationId, orderId, actor: 'checkout' });

    expect(result).toEqual({ seatIds: ['A-1-1', 'A-1-2'] });
    const sold = (await seatStates(pool, event.id)).filter((seat) => seat.status === 'sold');
    expect(sold.map((seat) => [seat.seat_id, seat.order_id, seat.reservation_id, seat.held_until])).toEqual([
      ['A-1-1', orderId, reservationId, null],
      ['A-1-2', orderId, reservationId, null],
    ]);
    const audit = (await seatEvents(pool, event.id)).filter((row) => row.to_status === 'sold');
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ from_status: 'held', order_id: orderId, actor: 'checkout' });
  });

  it('is idempotent under repeat and concurrent repeat', async () => {
    const { event, reservationId, orderId } = await held('sam');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => inventory.commitSeats({ reservationId, orderId })),
    );
    const repeat = await inventory.commitSeats({ reservationId, orderId });
    for (const result of [...results, repeat]) expect(result).toEqual({ seatIds: ['A-1-1', 'A-1-2'] });
    expect((await seatEvents(pool, event.id)).filter((row) => row.to_status === 'sold')).toHaveLength(2);
  });

  it('refuses with SEATS_NOT_HELD once the hold was released', async () => {
    const { event, reservationId, orderId } = await held('tia');
    await inventory.releaseSeats({ reservationId, reason: 'expired', actor: 'workflow' });
    const failure = await failureOf(inventory.commitSeats({ reservationId, orderId }));
    expect(failure.code).toBe('SEATS_NOT_HELD');
    expect((await seatStates(pool, event.id)).every((seat) => seat.status === 'available')).toBe(true);
  });

  it('refuses a second order for seats already sold, and seats other than those held', async () => {
    const { reservationId, orderId } = await held('uma');
    await inventory.commitSeats({ reservationId, orderId });
    expect((await failureOf(inventory.commitSeats({ reservationId, orderId: uniqueId('ord') }))).code).toBe(
      'SEATS_NOT_HELD',
    );

    const other = await held('uma');
    const failure = await failureOf(
      inventory.commitSeats({ ...other, seatIds: ['A-1-1', 'A-1-2', 'A-1-3'] }),
    );
    expect(failure).toMatchObject({ code: 'SEATS_NOT_HELD', details: { missingSeatIds: ['A-1-3'] } });
  });

  it('composes inside a caller transaction and rolls back with it', async () => {
    const { event, reservationId, orderId } = await held('vic');
    await expect(
      withTransaction(pool, async (client) => {
        await commitSeatsTx(client, { reservationId, orderId });
        throw new Error('order insert failed');
      }),
    ).rejects.toThrow('order insert failed');
    expect((await seatStates(pool, event.id)).filter((seat) => seat.status === 'held')).toHaveLength(2);
  });

  it('leaves a caller transaction usable after a rejected hold', async () => {
    const event = await createTestEvent(pool);
    await inventory.holdSeats({
      reservationId: uniqueId('res'),
      buyerId: 'wes',
      eventId: event.id,
      request: { seatIds: ['A-2-1'] },
    });
    const reservationId = uniqueId('res');
    const seats = await withTransaction(pool, async (client) => {
      await expect(
        holdSeatsTx(client, {
          reservationId,
          buyerId: 'xan',
          eventId: event.id,
          request: { seatIds: ['A-2-1'] },
        }),
      ).rejects.toMatchObject({ code: 'SEATS_UNAVAILABLE' });
      return holdSeatsTx(client, {
        reservationId,
        buyerId: 'xan',
        eventId: event.id,
        request: { seatIds: ['A-2-2'] },
      });
    });
    expect(seats.seats.map((seat) => seat.id)).toEqual(['A-2-2']);
  });
});

describe('releaseSeats', () => {
  it('returns held seats to sale once, however often it is repeated', async () => {
    const event = await createTestEvent(pool);
    const reservationId = uniqueId('res');
    await inventory.holdSeats({
      reservationId,
      buyerId: 'yas',
      eventId: event.id,
      request: { seatIds: ['A-1-1', 'A-1-2'] },
    });

    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        inventory.releaseSeats({ reservationId, reason: 'cancelled', actor: 'yas' }),
      ),
    );
    const repeat = await inventory.releaseSeats({ reservationId, reason: 'cancelled', actor: 'yas' });

    expect(results.flatMap((result) => result.seatIds).sort()).toEqual(['A-1-1', 'A-1-2']);
    expect(repeat.seatIds).toEqual([]);
    const states = await seatStates(pool, event.id);
    expect(states.every((seat) => seat.status === 'available' && seat.buyer_id === null)).toBe(true);
    const audit = (await seatEvents(pool, event.id)).filter((row) => row.to_status === 'available');
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({
      from_status: 'held',
      reservation_id: reservationId,
      reason: 'cancelled',
    });
  });

  it('never touches sold seats or seats another reservation holds', async () => {
    const event = await createTestEvent(pool);
    const sold = uniqueId('res');
    const other = uniqueId('res');
    await inventory.holdSeats({
      reservationId: sold,
      buyerId: 'zed',
      eventId: event.id,
      request: { seatIds: ['A-1-1'] },
    });
    await inventory.commitSeats({ reservationId: sold, orderId: uniqueId('ord') });
    await inventory.holdSeats({
      reservationId: other,
      buyerId: 'abe',
      eventId: event.id,
      request: { seatIds: ['A-1-2'] },
    });

    expect(
      await inventory.releaseSeats({ reservationId: sold, reason: 'late cancel', actor: 'zed' }),
    ).toEqual({
      seatIds: [],
    });
    const states = await seatStates(pool, event.id);
    expect(states.find((seat) => seat.seat_id === 'A-1-1')?.status).toBe('sold');
    expect(states.find((seat) => seat.seat_id === 'A-1-2')).toMatchObject({
      status: 'held',
      reservation_id: other,
    });
  });

  it('lets the released seats be held again', async () => {
    const event = await createTestEvent(pool);
    const first = uniqueId('res');
    await inventory.holdSeats({
      reservationId: first,
      buyerId: 'bea',
      eventId: event.id,
      request: { seatIds: ['A-1-7'] },
    });
    await inventory.releaseSeats({ reservationId: first, reason: 'expired', actor: 'workflow' });
    const again = await inventory.holdSeats({
      reservationId: uniqueId('res'),
      buyerId: 'cy',
      eventId: event.id,
      request: { seatIds: ['A-1-7'] },
    });
    expect(again.seats).toEqual([{ id: 'A-1-7', price: 2500 }]);
  });
});

describe('voidSeatsTx', () => {
  it('returns sold seats of a refunded order to sale once, recording the order', async () => {
    const event = await createTestEvent(pool);
    const reservationId = uniqueId('res');
    const orderId = uniqueId('ord');
    await inventory.holdSeats({
      reservationId,
      buyerId: 'dee',
      eventId: event.id,
      request: { seatIds: ['A-1-1', 'A-1-2'] },
    });
    await inventory.commitSeats({ reservationId, orderId });

    const input = { eventId: event.id, orderId, seatIds: ['A-1-1'], reason: 'refund', actor: 'support:sue' };
    const voided = await withTransaction(pool, (client) => voidSeatsTx(client, input));
    await seatMap.applyChanges(voided.changes);
    const repeat = await withTransaction(pool, (client) => voidSeatsTx(client, input));

    expect(voided.seatIds).toEqual(['A-1-1']);
    expect(repeat.seatIds).toEqual([]);
    const states = await seatStates(pool, event.id);
    expect(states.find((seat) => seat.seat_id === 'A-1-1')).toMatchObject({
      status: 'available',
      order_id: null,
      reservation_id: null,
    });
    expect(states.find((seat) => seat.seat_id === 'A-1-2')?.status).toBe('sold');
    expect((await seatEvents(pool, event.id)).at(-1)).toMatchObject({
      seat_id: 'A-1-1',
      from_status: 'sold',
      to_status: 'available',
      reservation_id: reservationId,
      order_id: orderId,
      actor: 'support:sue',
    });
    expect((await seatMap.availability(event.id))?.sections[0]).toMatchObject({ available: 19, sold: 1 });
  });
});

describe('extendHold', () => {
  it('moves held_until of the held seats only', async () => {
    const event = await createTestEvent(pool);
    const reservationId = uniqueId('res');
    await inventory.holdSeats({
      reservationId,
      buyerId: 'eve',
      eventId: event.id,
      request: { seatIds: ['A-1-1'] },
    });
    const heldUntil = new Date(Date.now() + 3_600_000).toISOString();

    expect(await inventory.extendHold({ reservationId, heldUntil })).toEqual({ seatIds: ['A-1-1'] });
    const seat = (await seatStates(pool, event.id)).find((state) => state.seat_id === 'A-1-1');
    expect(seat?.held_until?.toISOString()).toBe(heldUntil);
  });
});
