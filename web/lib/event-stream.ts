// Owns reading Server-Sent Events from a fetch response: for the streams that need an Authorization
// header (the organizer's sales stream), which the browser's EventSource cannot send.

export interface StreamEvent {
  event: string;
  data: string;
  id?: string;
}

/** Calls `onEvent` for each event of the stream until it ends (resolves) or fails (rejects). */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: StreamEvent) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let current: { event?: string; data: string[]; id?: string } = { data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split(/\r\n|\r|\n/);
    // The last piece may be a line still arriving.
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (current.data.length > 0) {
          onEvent({ event: current.event ?? 'message', data: current.data.join('\n'), id: current.id });
        }
        current = { data: [] };
        continue;
      }
      // A comment (the heartbeats).
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const text = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') current.event = text;
      else if (field === 'data') current.data.push(text);
      else if (field === 'id') current.id = text;
    }
  }
}
