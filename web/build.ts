// Owns the pages' client bundle: Vite (rollup inside) bundles each page's script, the waiting room's Web
// Worker and the libraries they import (qrcode, the queue client) into ES modules under /assets/, from
// the repository alone. In memory for development and tests (api/pages/assets.ts builds on first use),
// or written to web/dist by `npm run build:web` for the production image, which has no Vite.
import { fileURLToPath } from 'node:url';
import type { InlineConfig, Rollup } from 'vite';

export const webFolder = fileURLToPath(new URL('.', import.meta.url));
export const distFolder = fileURLToPath(new URL('./dist/', import.meta.url));

/** The pages' scripts, by the name they are served under (`/assets/<name>.js`). */
export const entries = {
  home: 'home.ts',
  event: 'event.ts',
  order: 'order.ts',
  dashboard: 'dashboard.ts',
  'sign-in': 'sign-in.ts',
} as const;
export type Entry = keyof typeof entries;

/** The files the pages load, by their path under /assets/. */
export type Bundle = Map<string, Uint8Array>;

function viteConfig(write: boolean): InlineConfig {
  return {
    // Nothing from a vite.config file or the environment: this function is the whole configuration.
    configFile: false,
    envFile: false,
    root: webFolder,
    base: '/assets/',
    logLevel: 'warn',
    build: {
      write,
      outDir: distFolder,
      emptyOutDir: true,
      target: 'es2022',
      // Module scripts load their imports themselves; the polyfill would be an inline script (CSP).
      modulePreload: false,
      copyPublicDir: false,
      // Where the files the scripts import by URL (the waiting room's worker) go, under /assets/.
      assetsDir: 'files',
      rollupOptions: {
        input: Object.fromEntries(
          Object.entries(entries).map(([name, file]) => [
            name,
            fileURLToPath(new URL(file, import.meta.url)),
          ]),
        ),
        output: {
          // Stable names: the server-rendered pages name their entry without reading a manifest.
          entryFileNames: '[name].js',
          chunkFileNames: 'chunks/[name]-[hash].js',
          assetFileNames: 'files/[name]-[hash][extname]',
        },
      },
    },
    worker: { format: 'es' },
  };
}

/** Builds the bundle in memory. */
export async function buildBundle(): Promise<Bundle> {
  const { build } = await import('vite');
  const result = await build(viteConfig(false));
  const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
  const bundle: Bundle = new Map();
  for (const output of outputs) {
    for (const file of output.output) {
      const content = file.type === 'chunk' ? file.code : file.source;
      bundle.set(file.fileName, typeof content === 'string' ? new TextEncoder().encode(content) : content);
    }
  }
  return bundle;
}

/** Writes the bundle to web/dist, for a process that cannot build it (the production image). */
export async function writeBundle(): Promise<void> {
  const { build } = await import('vite');
  await build(viteConfig(true));
}
