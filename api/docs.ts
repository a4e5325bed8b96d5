// Owns the API's docs page: Swagger UI served from the swagger-ui-dist package on this server (our own
// small page, Swagger UI's script and stylesheet read from node_modules), pointed at /openapi.json, so
// the page works offline and no request leaves the machine (no CDN, no online validator).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
// The package's path helper alone: its index would load the 1.5 MB bundle into the server to no use.
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path.js';

/** The files of the package the page uses, by the name they are served under, with their types. */
const assets = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const;
type Asset = keyof typeof assets;

const isAsset = (name: string): name is Asset => Object.hasOwn(assets, name);

/** Starts Swagger UI on the page; a file of its own so a strict Content-Security-Policy can hold. */
const initScript = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    // The default sends the document to validator.swagger.io for a badge: nothing leaves this server.
    validatorUrl: null,
  });
});
`;

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Boxoffice API</title>
    <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

// Swagger UI sets inline styles; everything else comes from this origin.
const contentSecurityPolicy =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'";

/**
 * GET /docs and the files it loads, every one of them from this server.
 * @example app.route('/', docsRoutes())
 */
export function docsRoutes() {
  const app = new Hono();
  const folder = getAbsoluteFSPath();
  // Read on first use and kept: a process that never serves the page never reads the 1.5 MB bundle.
  const loaded = new Map<Asset, Buffer>();
  const contentOf = (name: Asset) => {
    let content = loaded.get(name);
    if (!content) {
      content = readFileSync(join(folder, name));
      loaded.set(name, content);
    }
    return content;
  };

  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', contentSecurityPolicy);
    return c.html(page);
  });
  app.get('/docs/init.js', (c) =>
    c.body(initScript, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/docs/assets/:name', (c) => {
    const name = c.req.param('name');
    // Only the files the page names: the path is never handed to the file system as given.
    if (!isAsset(name)) return c.notFound();
    return c.body(new Uint8Array(contentOf(name)), 200, {
      'content-type': assets[name],
      // The package's files change only with its version, i.e. with a deploy.
      'cache-control': 'public, max-age=86400',
    });
  });
  return app;
}
