// Owns a minimal Server-Sent Events client on node:http for the suites and the live benchmark: it
// connects, parses the stream (event, id, data; comments counted as heartbeats) and hands each event
// over as it arrives, stamped with its arrival time; `close` drops the connection as a leaving browser
// would. Cheap enough to run thousands at once in one process.
import { type IncomingMessage, request } from 'node:http';

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
  /** performance.timeOrigin + performance.now() at arrival: comparable across processes. */
  receivedAt: number;
}

export interface SseConnection {
  status: number;
  headers: IncomingMessage['headers'];
  /** The body of a refused connection (a problem+json), empty for a stream. */
  body: string;
  heartbeats: number;
  close(): void;
  /** Resolves when the server ends the stream (not when `close` drops it). */
  ended: Promise<void>;
}

export const now = () => performance.timeOrigin + performance.now();

/** Parses one SSE block (the lines between blank lines); undefined for a comment-only block. */
function parseBlock(block: string): Omit<SseEvent, 'receivedAt'> | undefined | 'comment' {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  let fields = 0;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    fields += 1;
    if (name === 'event') event = value;
    else if (name === 'id') id = value;
    else if (name === 'data') data.push(value);
  }
  if (fields === 0) return 'comment';
  return { event, id, data: data.join('\n') };
}

/**
 * Opens `url` as an event stream; resolves once the response's head arrived. Events reach `onEvent`
 * in order.
 */
export function openSse(
  url: string,
  onEvent: (event: SseEvent) => void,
  headers: Record<string, string> = {},
): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const status = res.statusCode ?? 0;
      let ended: () => void = () => undefined;
      const connection: SseConnection = {
        status,
        headers: res.headers,
        body: '',
        heartbeats: 0,
        close: () => req.destroy(),
        ended: new Promise((done) => {
          ended = done;
        }),
      };
      res.setEncoding('utf8');
      res.on('end', () => ended());
      res.on('error', () => ended());
      if (status !== 200) {
        res.on('data', (chunk: string) => {
          connection.body += chunk;
        });
        res.on('end', () => resolve(connection));
        return;
      }
      let buffer = '';
      res.on('data', (chunk: string) => {
        const receivedAt = now();
        buffer += chunk.includes('\r') ? chunk.replaceAll('\r\n', '\n') : chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const parsed = parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (parsed === 'comment') connection.heartbeats += 1;
          else if (parsed) onEvent({ ...parsed, receivedAt });
        }
      });
      resolve(connection);
    });
    req.on('error', reject);
    req.end();
  });
}
