// Owns how an endpoint is declared: a file's OpenAPI tag once, method and path on one line, so each
// declaration shows only what sets the endpoint apart (the rate limits' 429 and fields are added here).
import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import { withRateLimitResponses } from '../rate-limit';

type Details = Omit<RouteConfig, 'method' | 'path' | 'tags'>;

/**
 * The route declarer for one OpenAPI tag.
 * @example const route = routesOf('events'); app.openapi(route('get', '/v1/events', { summary, ... }), handler)
 */
export function routesOf(tag: string) {
  return function route<M extends RouteConfig['method'], P extends string, D extends Details>(
    method: M,
    path: P,
    details: D,
  ) {
    const responses = withRateLimitResponses(method, path, details.responses);
    return createRoute({ method, path, tags: [tag], ...details, responses });
  };
}
