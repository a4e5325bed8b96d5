import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouteDeps } from '../../api/app';
import { mintToken } from '../../api/auth';
import { eventRoutes } from '../../api/routes/events';
import { bearer, connectTestStores, createTestApp, testAppDeps, testJwtSecret } from '../helpers/app';
import { uniqueId } from './helpers';

const stores = connectTestStores(5);
const { pool, redis } = stores;
const app = createTestApp({ pool, redis });

afterAll(() => stores.close());

const inAMonth = () => new Date(Date.now() + 30 * 86_400_000).toISOString();

function validBody(): Record<string, unknown> {
  return {
    name: 'Flash Sale Live',
    venue: 'Arena',
    startsAt: inAMonth(),
    currency: 'EUR',
    holdSeconds: 120,
    maxSeatsPerBuyer: 4,
    sections: [
      {
        id: 'FLOOR',
        name: 'Floor',
        price: 9900,
        rows: [
          { id: '1', seats: 3 },
          { id: '2', seats: 2 },
        ],
      },
      { id: 'BAL', name: 'Balcony', price: 4500, rows: [{ id: 'A', seats: ['1', '2', '3a'] }] },
    ],
  };
}

interface Sent {
  status: number;
  contentType: string | null;
  body: Record<string, unknown>;
  headers: Headers;
}

async function send(
  method: string,
  path: string,
  options: { auth?: string; body?: string; contentType?: string | null } = {},
): Promise<Sent> {
  const headers: Record<string, string> = {};
  if (options.auth) headers.authorization = options.auth;
  if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await app.request(path, { method, headers, body: options.body });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { unparsed: text };
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body,
    headers: response.headers,
  };
}

function expectProblem(sent: Sent, status: number, code: string) {
  expect({ status: sent.status, code: sent.body.code }).toEqual({ status, code });
  expect(sent.contentType).toContain('application/problem+json');
  expect(sent.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
}

let organizer: string;
let organizerAuth: string;

beforeAll(async () => {
  await stores.ready;
  organizer = uniqueId('org');
  organizerAuth = await bearer(organizer, 'organizer');
});

async function eventsBy(userId: string): Promise<number> {
  const { rows } = await pool.query<{ events: number; seats: number }>(
    `select count(distinct e.id)::int as events, count(s.seat_id)::int as seats
       from events e left join seats s on s.event_id = e.id where e.created_by = $1`,
    [userId],
  );
  return (rows[0]?.events ?? 0) + (rows[0]?.seats ?? 0);
}

describe('POST /v1/events', () => {
  it('creates the event with every seat and answers 201 with its location', async () => {
    const sent = await send('POST', '/v1/events', { auth: organizerAuth, body: JSON.stringify(validBody()) });

    expect(sent.status).toBe(201);
    const id = sent.body.id as string;
    expect(id).toMatch(/^evt_[0-9a-f]{20}$/);
    expect(sent.headers.get('location')).toBe(`/v1/events/${id}`);
    expect(sent.body).toMatchObject({
      name: 'Flash Sale Live',
      currency: 'EUR',
      holdSeconds: 120,
      maxSeatsPerBuyer: 4,
      salesOpenAt: null,
      totalSeats: 8,
      createdBy: organizer,
      sections: [
        { id: 'FLOOR', price: 9900, seatCount: 5 },
        { id: 'BAL', price: 4500, seatCount: 3, rows: [{ id: 'A', seats: ['1', '2', '3a'] }] },
      ],
    });
    const { rows } = await pool.query<{ seat_id: string; price: number }>(
      'select seat_id, price from seats where event_id = $1 order by seat_id',
      [id],
    );
    expect(rows.map((row) => row.seat_id)).toEqual([
      'BAL-A-1',
      'BAL-A-2',
      'BAL-A-3a',
      'FLOOR-1-1',
      'FLOOR-1-2',
      'FLOOR-1-3',
      'FLOOR-2-1',
      'FLOOR-2-2',
    ]);
  });

  it('fills in the default hold and buyer limit', async () => {
    const { holdSeconds: _hold, maxSeatsPerBuyer: _max, ...body } = validBody();
    const sent = await send('POST', '/v1/events', { auth: organizerAuth, body: JSON.stringify(body) });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ holdSeconds: 600, maxSeatsPerBuyer: 10 });
  });

  it('answers 401 without a valid token and 403 for another role', async () => {
    const userId = uniqueId('org');
    const body = JSON.stringify(validBody());
    const foreign = await mintToken('another-secret-of-16-chars', userId, 'organizer');
    const expired = await mintToken(testJwtSecret, userId, 'organizer', '-1m');
    for (const auth of [
      undefined,
      'Bearer',
      'Bearer nonsense',
      `Bearer ${foreign}`,
      `Bearer ${expired}`,
      'Basic abc',
    ]) {
      expectProblem(await send('POST', '/v1/events', { auth, body }), 401, 'UNAUTHORIZED');
    }
    for (const role of ['buyer', 'support'] as const) {
      expectProblem(
        await send('POST', '/v1/events', { auth: await bearer(userId, role), body }),
        403,
        'FORBIDDEN',
      );
    }
    expect(await eventsBy(userId)).toBe(0);
  });

  const past = new Date(Date.now() - 60_000).toISOString();
  const section = (overrides: Record<string, unknown>) => ({
    id: 'S',
    name: 'S',
    price: 100,
    rows: [{ id: '1', seats: 2 }],
    ...overrides,
  });
  const badBodies: [string, (body: Record<string, unknown>) => unknown][] = [
    ['a name of the wrong type', (b) => ({ ...b, name: 5 })],
    ['a missing name', ({ name: _n, ...b }) => b],
    ['missing sections', ({ sections: _s, ...b }) => b],
    ['no sections', (b) => ({ ...b, sections: [] })],
    ['an unknown top-level field', (b) => ({ ...b, discount: 10 })],
    ['an unknown section field', (b) => ({ ...b, sections: [section({ colour: 'red' })] })],
    [
      'an unknown row field',
      (b) => ({ ...b, sections: [section({ rows: [{ id: '1', seats: 2, vip: true }] })] }),
    ],
    ['a lower-case currency', (b) => ({ ...b, currency: 'eur' })],
    ['a made-up currency', (b) => ({ ...b, currency: 'XYZ' })],
    ['a start in the past', (b) => ({ ...b, startsAt: past })],
    ['a start that is not a date', (b) => ({ ...b, startsAt: 'next friday' })],
    ['a start without a time zone', (b) => ({ ...b, startsAt: '2031-01-01T20:00:00' })],
    [
      'sales opening after the start',
      (b) => ({ ...b, salesOpenAt: new Date(Date.now() + 40 * 86_400_000).toISOString() }),
    ],
    ['a hold of 4 seconds', (b) => ({ ...b, holdSeconds: 4 })],
    ['a hold of over an hour', (b) => ({ ...b, holdSeconds: 3601 })],
    ['a fractional hold', (b) => ({ ...b, holdSeconds: 30.5 })],
    ['a buyer limit of 0', (b) => ({ ...b, maxSeatsPerBuyer: 0 })],
    ['a buyer limit of 51', (b) => ({ ...b, maxSeatsPerBuyer: 51 })],
    ['a zero price', (b) => ({ ...b, sections: [section({ price: 0 })] })],
    ['a negative price', (b) => ({ ...b, sections: [section({ price: -100 })] })],
    ['a fractional price', (b) => ({ ...b, sections: [section({ price: 10.5 })] })],
    ['a price given as a string', (b) => ({ ...b, sections: [section({ price: '100' })] })],
    ['a huge price', (b) => ({ ...b, sections: [section({ price: 1e15 })] })],
    ['repeated section ids', (b) => ({ ...b, sections: [section({}), section({})] })],
    [
      'repeated row ids',
      (b) => ({
        ...b,
        sections: [
          section({
            rows: [
              { id: '1', seats: 1 },
              { id: '1', seats: 1 },
            ],
          }),
        ],
      }),
    ],
    [
      'repeated seat labels',
      (b) => ({ ...b, sections: [section({ rows: [{ id: '1', seats: ['1', '1'] }] })] }),
    ],
    ['a row without seats', (b) => ({ ...b, sections: [section({ rows: [{ id: '1', seats: 0 }] })] })],
    ['a row of 1001 seats', (b) => ({ ...b, sections: [section({ rows: [{ id: '1', seats: 1001 }] })] })],
    [
      'a seat count given as a string',
      (b) => ({ ...b, sections: [section({ rows: [{ id: '1', seats: '10' }] })] }),
    ],
    ['a section id with a dash', (b) => ({ ...b, sections: [section({ id: 'A-B' })] })],
    ['a row id with a dash', (b) => ({ ...b, sections: [section({ rows: [{ id: '1-2', seats: 1 }] })] })],
    ['an empty seat label', (b) => ({ ...b, sections: [section({ rows: [{ id: '1', seats: [''] }] })] })],
    [
      'more than 200,000 seats',
      (b) => ({
        ...b,
        sections: Array.from({ length: 3 }, (_, s) =>
          section({
            id: `S${s}`,
            rows: Array.from({ length: 100 }, (_, r) => ({ id: `${r}`, seats: 1000 })),
          }),
        ),
      }),
    ],
    [
      '201 sections',
      (b) => ({ ...b, sections: Array.from({ length: 201 }, (_, s) => section({ id: `S${s}` })) }),
    ],
    ['a JSON array', () => [validBody()]],
    ['JSON null', () => null],
    ['a JSON string', () => 'event'],
  ];

  it.each(badBodies)('rejects %s with 422 VALIDATION_FAILED and writes nothing', async (_name, mutate) => {
    const userId = uniqueId('org');
    const sent = await send('POST', '/v1/events', {
      auth: await bearer(userId, 'organizer'),
      body: JSON.stringify(mutate(validBody())),
    });
    expectProblem(sent, 422, 'VALIDATION_FAILED');
    expect(sent.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: expect.any(String) })]),
    );
    expect(await eventsBy(userId)).toBe(0);
  });

  it.each([
    ['malformed JSON', '{"name": "x",', 'application/json'],
    ['an empty body', '', 'application/json'],
    ['a form body', 'name=x&venue=y', 'application/x-www-form-urlencoded'],
    ['plain text', 'hello', 'text/plain'],
    ['no content type', JSON.stringify(validBody()), null],
  ])('rejects %s with a 4xx problem and writes nothing', async (_name, body, contentType) => {
    const userId = uniqueId('org');
    const sent = await send('POST', '/v1/events', {
      auth: await bearer(userId, 'organizer'),
      body,
      contentType,
    });
    expect(sent.status).toBeGreaterThanOrEqual(400);
    expect(sent.status).toBeLessThan(500);
    expect(sent.contentType).toContain('application/problem+json');
    expect(sent.body.code).toEqual(expect.any(String));
    expect(await eventsBy(userId)).toBe(0);
  });

  it('rejects a body over 256 KiB with 413 and writes nothing', async () => {
    const userId = uniqueId('org');
    const labels = Array.from({ length: 1000 }, (_, i) => `L${i}`);
    const body = {
      ...validBody(),
      sections: Array.from({ length: 40 }, (_, s) => ({
        id: `S${s}`,
        name: 'S',
        price: 1,
        rows: [{ id: '1', seats: labels }],
      })),
    };
    const text = JSON.stringify(body);
    expect(text.length).toBeGreaterThan(256 * 1024);
    expectProblem(
      await send('POST', '/v1/events', { auth: await bearer(userId, 'organizer'), body: text }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect(await eventsBy(userId)).toBe(0);
  });
});

describe('GET /v1/events', () => {
  it('lists events newest first and pages through them with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const sent = await send('POST', '/v1/events', {
        auth: organizerAuth,
        body: JSON.stringify(validBody()),
      });
      ids.push(sent.body.id as string);
    }
    const first = await send('GET', '/v1/events?limit=2');
    expect(first.status).toBe(200);
    const items = first.body.items as { id: string; totalSeats: number }[];
    expect(items).toHaveLength(2);
    expect(first.body.nextCursor).toBe(items[1]?.id);

    const next = await send('GET', `/v1/events?limit=2&cursor=${first.body.nextCursor}`);
    const later = next.body.items as { id: string }[];
    expect(later).toHaveLength(2);
    expect(later.map((item) => item.id)).not.toContain(items[0]?.id);
    expect(later.map((item) => item.id)).not.toContain(items[1]?.id);
  });

  it.each([
    ['a zero limit', '/v1/events?limit=0'],
    ['a limit over 200', '/v1/events?limit=201'],
    ['a limit that is not a number', '/v1/events?limit=many'],
    ['an unknown cursor', `/v1/events?cursor=${'x'.repeat(20)}`],
  ])('rejects %s with 422', async (_name, path) => {
    expectProblem(await send('GET', path), 422, 'VALIDATION_FAILED');
  });
});

describe('GET /v1/events/{eventId}', () => {
  it('answers the event with its sections and rows as created', async () => {
    const created = await send('POST', '/v1/events', {
      auth: organizerAuth,
      body: JSON.stringify(validBody()),
    });
    const sent = await send('GET', `/v1/events/${created.body.id}`);
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual(created.body);
  });

  it('answers 404 EVENT_NOT_FOUND for an unknown event', async () => {
    expectProblem(await send('GET', `/v1/events/${uniqueId('evt')}`), 404, 'EVENT_NOT_FOUND');
    expectProblem(await send('GET', `/v1/events/${uniqueId('evt')}/seats`), 404, 'EVENT_NOT_FOUND');
    expectProblem(await send('GET', `/v1/events/${uniqueId('evt')}/availability`), 404, 'EVENT_NOT_FOUND');
  });

  it('rejects an absurdly long event id with a 4xx problem', async () => {
    const sent = await send('GET', `/v1/events/${'e'.repeat(5000)}/seats`);
    expect(sent.status).toBeGreaterThanOrEqual(400);
    expect(sent.status).toBeLessThan(500);
    expect(sent.body.code).toEqual(expect.any(String));
  });
});

describe('seat map and availability', () => {
  it('serves the seat map, one section of it, and per-section counts', async () => {
    const created = await send('POST', '/v1/events', {
      auth: organizerAuth,
      body: JSON.stringify(validBody()),
    });
    const id = created.body.id as string;

    const map = await send('GET', `/v1/events/${id}/seats`);
    expect(map.status).toBe(200);
    const seats = map.body.seats as { id: string }[];
    expect(seats.map((seat) => seat.id)).toEqual([
      'FLOOR-1-1',
      'FLOOR-1-2',
      'FLOOR-1-3',
      'FLOOR-2-1',
      'FLOOR-2-2',
      'BAL-A-1',
      'BAL-A-2',
      'BAL-A-3a',
    ]);
    expect(seats[7]).toEqual({
      id: 'BAL-A-3a',
      section: 'BAL',
      row: 'A',
      number: '3a',
      price: 4500,
      status: 'available',
    });

    const balcony = await send('GET', `/v1/events/${id}/seats?section=BAL`);
    expect((balcony.body.seats as { id: string }[]).map((seat) => seat.id)).toEqual([
      'BAL-A-1',
      'BAL-A-2',
      'BAL-A-3a',
    ]);
    const none = await send('GET', `/v1/events/${id}/seats?section=NOPE`);
    expect(none.body).toEqual({ eventId: id, seats: [] });

    const availability = await send('GET', `/v1/events/${id}/availability`);
    expect(availability.body).toEqual({
      eventId: id,
      sections: [
        { id: 'FLOOR', name: 'Floor', price: 9900, available: 5, held: 0, sold: 0 },
        { id: 'BAL', name: 'Balcony', price: 4500, available: 3, held: 0, sold: 0 },
      ],
    });
  });

  it('rejects a malformed section filter with 422', async () => {
    const created = await send('POST', '/v1/events', {
      auth: organizerAuth,
      body: JSON.stringify(validBody()),
    });
    expectProblem(
      await send('GET', `/v1/events/${created.body.id}/seats?section=a-b`),
      422,
      'VALIDATION_FAILED',
    );
  });

  it('documents every event endpoint with the schemas that validate it', () => {
    const doc = eventRoutes(createRouteDeps(testAppDeps({ pool, redis }))).getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'events', version: '1' },
    });
    const paths = doc.paths ?? {};
    expect(Object.keys(paths['/v1/events'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    for (const path of [
      '/v1/events/{eventId}',
      '/v1/events/{eventId}/seats',
      '/v1/events/{eventId}/availability',
    ]) {
      expect(paths[path]?.get).toBeDefined();
    }
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['EventCreate', 'Event', 'EventList', 'SeatMap', 'Availability', 'Problem']),
    );
  });
});
