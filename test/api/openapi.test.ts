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
