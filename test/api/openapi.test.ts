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
        'GET /v1/events/{eventId}/seats/stream',
        'GET /v1/events/{eventId}/sales',
        'GET /v1/events/{eventId}/sales/stream',
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

  it('documents the live streams as event streams, with their problems', async () => {
    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>
      >;
    };
    const seats = document.paths['/v1/events/{eventId}/seats/stream']?.get;
    const sales = document.paths['/v1/events/{eventId}/sales/stream']?.get;
    for (const stream of [seats, sales]) {
      expect(Object.keys(stream?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
      expect(Object.keys(stream?.responses['503']?.content ?? {})).toEqual(['application/problem+json']);
      expect(Object.keys(stream?.responses['404']?.content ?? {})).toEqual(['application/problem+json']);
    }
    expect(Object.keys(seats?.responses ?? {})).toEqual(expect.arrayContaining(['200', '404', '422', '503']));
    const view = document.paths['/v1/events/{eventId}/sales']?.get;
    expect(Object.keys(view?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '403', '404']));
  });

  it('serves a docs page that loads only from this server, every file answering with its type', async () => {
    const response = await app.request('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await response.text();
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, url]) => url ?? '');
    expect(urls.length).toBeGreaterThanOrEqual(3);
    // Same origin: absolute paths on this server, never another host (no scheme, no protocol-relative //).
    for (const url of urls) expect(url).toMatch(/^\/(?!\/)/);
    expect(html).not.toMatch(/https?:\/\//);

    const expectedType = (url: string) =>
      url.endsWith('.css') ? 'text/css' : url.endsWith('.js') ? 'text/javascript' : 'image/png';
    for (const url of urls) {
      const asset = await app.request(url);
      expect(asset.status, url).toBe(200);
      expect(asset.headers.get('content-type'), url).toContain(expectedType(url));
      expect((await asset.arrayBuffer()).byteLength, url).toBeGreaterThan(0);
    }
    // The page's script starts Swagger UI on our document, with the online validator off.
    const init = await (await app.request('/docs/init.js')).text();
    expect(init).toContain("url: '/openapi.json'");
    expect(init).toContain('validatorUrl: null');
    expect(html).toContain('/docs/init.js');
  });

  it('serves only the files the docs page names', async () => {
    for (const path of [
      '/docs/assets/package.json',
      '/docs/assets/..%2Fpackage.json',
      '/docs/assets/index.html',
    ]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});
