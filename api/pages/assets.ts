// Owns serving the pages' files under /assets/: the client bundle (built in memory on first use in
// development and tests, so a clean clone needs no build step; read from web/dist in production, which
// the image builds) and the stylesheet, straight from web/.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Hono } from 'hono';
import { etag } from 'hono/etag';
import { type Bundle, buildBundle, distFolder, webFolder } from '../../web/build';

const types: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  map: 'application/json',
};

async function readDist(): Promise<Bundle> {
  const files = await readdir(distFolder, { recursive: true, withFileTypes: true }).catch(
    (error: unknown) => {
      throw new Error(
        `the pages' bundle is missing (${distFolder}): run \`npm run build:web\` (the Dockerfile does)`,
        { cause: error },
      );
    },
  );
  const bundle: Bundle = new Map();
  for (const file of files) {
    if (!file.isFile()) continue;
    const path = join(file.parentPath, file.name);
    bundle.set(relative(distFolder, path), await readFile(path));
  }
  return bundle;
}

/**
 * GET /assets/* for the pages.
 * @example app.route('/', assetRoutes({ prebuilt: config.production }))
 */
export function assetRoutes(options: { prebuilt: boolean }) {
  const app = new Hono();
  // One build (or read) per process, shared by concurrent first requests; a failed one is tried again.
  let loading: Promise<Bundle> | undefined;
  const bundle = () => {
    loading ??= (options.prebuilt ? readDist() : buildBundle()).catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  let styles: Promise<Buffer> | undefined;
  // no-cache below plus an ETag: a browser revalidates each file and gets a 304 while it is unchanged.
  app.use('/assets/*', etag());

  app.get('/assets/styles.css', async (c) => {
    styles ??= readFile(join(webFolder, 'styles.css'));
    return c.body(new Uint8Array(await styles), 200, { 'content-type': types.css as string });
  });
  app.get('/assets/*', async (c) => {
    const name = c.req.path.slice('/assets/'.length);
    // Looked up among the built files by name: the path never reaches the file system as given.
    const content = (await bundle()).get(name);
    if (!content) return c.notFound();
    return c.body(new Uint8Array(content), 200, {
      'content-type': types[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
      // Entry names are stable across builds: a browser revalidates rather than keeping an old script.
      'cache-control': 'no-cache',
    });
  });
  return app;
}
