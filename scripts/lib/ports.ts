// Owns the scripts' and suites' way to a free loopback port: the one helper in src/platform/ports.ts,
// which the worker uses too, and a free port below the kernel's ephemeral range when one must be.
import { createServer } from 'node:net';

export { freePort } from '../../src/platform/ports';

/** Whether 127.0.0.1:`port` can be listened on now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port in [from, to), tried at random, none of `taken`. Below 32768 (Linux's ephemeral
 * range starts there) no outgoing connection takes it before its listener binds, and it fits where a
 * port is stored as a 16-bit signed number (the Temporal server's membership table).
 */
export async function freePortBelowEphemeral(
  taken: ReadonlySet<number> = new Set(),
  from = 20_000,
  to = 32_768,
): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = from + Math.floor(Math.random() * (to - from));
    if (!taken.has(port) && (await canListen(port))) return port;
  }
  throw new Error(`no free port between ${from} and ${to} after 200 tries`);
}
