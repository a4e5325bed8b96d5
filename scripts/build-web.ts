// `npm run build:web`: writes the pages' client bundle to web/dist for a process that serves it
// prebuilt (NODE_ENV=production: the Docker image, which has no Vite). Development and tests build it
// in memory on first use instead (api/pages/assets.ts).
import { distFolder, writeBundle } from '../web/build';

await writeBundle();
process.stdout.write(`build:web: the pages' bundle is in ${distFolder}\n`);
