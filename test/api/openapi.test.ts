// The API describes itself: every route is in the OpenAPI document, and the docs page serves.
import { afterAll, describe, expect, it } from 'vitest';
import { connectTestStores, createTestApp } from '../helpers/app';

describe('OpenAPI', () => {
  const stores = connectTestStores(2);
  const app = createTestApp(stores);
  afterAll(async () => {
    await stores.close();
  });

  it('serves an OpenAPI 3.1 document naming every endpoint of the API', async () => {
    const response = await app.request('/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'GET /readyz',
        'POST /v1/events',
        'GET /v1/events',
        'GET /v1/events/{eventId}',
        'GET /v1/events/{eventId}/seats',
        'GET /v1/events/{eventId}/availability',
        'POST /v1/events/{eventId}/reservations',
        'GET /v1/reservations/{id}',
        'POST /v1/reservations/{id}/confirm',
        'DELETE /v1/reservations/{id}',
        'GET /v1/orders/{id}',
        'POST /v1/orders/{id}/refunds',
        'GET /v1/admin/orders',
        'POST /v1/webhooks/stripe',
      ]),
    );
  });

  it('documents problem+json errors and the Idempotency-Key header', async () => {
    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string; in: string }[];
            responses: Record<string, { content?: Record<string, unknown> }>;
          }
        >
      >;
    };
    const create = document.paths['/v1/events/{eventId}/reservations']?.post;
    expect(create?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'idempotency-key', in: 'header' })]),
    );
    expect(Object.keys(create?.responses['409']?.content ?? {})).toEqual(['application/problem+json']);
  });

  it('documents the rate limits on every limited route: 429 with Retry-After, RateLimit fields on every answer', async () => {
    type Response = { headers?: Record<string, { $ref?: string }>; content?: Record<string, unknown> };
    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
      components: { headers?: Record<string, { description?: string }> };
    };
    expect(Object.keys(document.components.headers ?? {})).toEqual(
      expect.arrayContaining(['RateLimit', 'RateLimit-Policy', 'Retry-After']),
    );
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    const limited = operations.filter(({ path }) => path !== '/v1/webhooks/stripe' && path !== '/healthz');
    expect(limited.length).toBeGreaterThanOrEqual(14);
    for (const { path, method, operation } of limited) {
      const where = `${method.toUpperCase()} ${path}`;
      const refused = operation.responses['429'];
      expect(refused, where).toBeDefined();
      expect(Object.keys(refused?.content ?? {}), where).toEqual(['application/problem+json']);
      expect(refused?.headers?.['Retry-After']?.$ref, where).toBe('#/components/headers/Retry-After');
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(response.headers?.RateLimit?.$ref, `${where} ${status}`).toBe(
          '#/components/headers/RateLimit',
        );
        expect(response.headers?.['RateLimit-Policy']?.$ref, `${where} ${status}`).toBe(
          '#/components/headers/RateLimit-Policy',
        );
      }
    }
    const webhook = document.paths['/v1/webhooks/stripe']?.post;
    expect(webhook?.responses['429']).toBeUndefined();
    expect(webhook?.responses['200']?.headers).toBeUndefined();
  });

  it('documents the cacheable reads: If-None-Match, ETag and Cache-Control, and 304', async () => {
    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string; in: string }[];
            responses: Record<string, { headers?: Record<string, unknown>; content?: unknown }>;
          }
        >
      >;
    };
    for (const path of [
      '/v1/events/{eventId}',
      '/v1/events/{eventId}/seats',
      '/v1/events/{eventId}/availability',
    ]) {
      const read = document.paths[path]?.get;
      expect(read?.parameters, path).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'if-none-match', in: 'header' })]),
      );
      expect(Object.keys(read?.responses['200']?.headers ?? {}), path).toEqual(
        expect.arrayContaining(['ETag', 'Cache-Control']),
      );
      const notModified = read?.responses['304'];
      expect(notModified, path).toBeDefined();
      expect(notModified?.content, path).toBeUndefined();
      expect(Object.keys(notModified?.headers ?? {}), path).toEqual(
        expect.arrayContaining(['ETag', 'Cache-Control']),
      );
    }
    expect(document.paths['/v1/events']?.get?.responses['304']).toBeUndefined();
  });

  it('serves a docs page', async () => {
    const response = await app.request('/docs');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('/openapi.json');
  });
});
