// Owns who a request comes from on the network: the connection's peer, or, when the peer is one of our
// TRUSTED_PROXIES, the address X-Forwarded-For names (read right to left), and the key a per-IP limit
// counts under (an IPv4 address, or an IPv6 address's /64, the block one subscriber usually holds).
import { BlockList, isIP } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

/** The per-IP key of a request whose peer is unknown (no socket: only in-process requests have none). */
export const unknownAddress = 'unknown';

/**
 * A set of addresses and CIDRs (already checked by src/platform/config.ts), matched natively by node:net
 * without parsing a subnet per request.
 */
export function addressSet(entries: string[]): BlockList {
  const set = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) set.addAddress(address, family);
    else set.addSubnet(address, Number(prefix), family);
  }
  return set;
}

/** Whether `address` (normalized: see `normalizedAddress`) is in `set`. */
export function inSet(set: BlockList, address: string): boolean {
  return set.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
}

const mappedPrefix = '::ffff:';

/**
 * An IP address as the limiter compares it: IPv4-mapped IPv6 (a dual-stack socket's `::ffff:1.2.3.4`)
 * as plain IPv4, IPv6 in lower case, a port or brackets some proxies add taken off; undefined when it is
 * not an address at all.
 */
export function normalizedAddress(text: string): string | undefined {
  let address = text;
  if (address.charCodeAt(0) === 91 /* [ */) {
    const close = address.indexOf(']');
    if (close === -1) return undefined;
    address = address.slice(1, close);
  } else if (address.indexOf(':') !== -1 && address.indexOf(':') === address.lastIndexOf(':')) {
    // One colon: IPv4 with a port (an IPv6 address has at least two).
    address = address.slice(0, address.indexOf(':'));
  }
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return undefined;
  address = address.toLowerCase();
  if (address.startsWith(mappedPrefix)) {
    const mapped = address.slice(mappedPrefix.length);
    if (isIP(mapped) === 4) return mapped;
    // The same written in hex (::ffff:7f00:1), as some proxies do.
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(mapped);
    if (hex) {
      const high = Number.parseInt(hex[1] ?? '', 16);
      const low = Number.parseInt(hex[2] ?? '', 16);
      return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
    }
  }
  return address;
}

/**
 * The /64 network of an IPv6 address, as `2001:db8:0:1::/64`: one subscriber gets a /64 (or more) and
 * can rotate through its 2^64 addresses, so the per-IP limit counts the network.
 */
export function ipv6Network64(address: string): string {
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  let groups: string[];
  if (tail === undefined) groups = headGroups;
  else {
    // A trailing embedded IPv4 (64:ff9b::192.0.2.1) stands for two groups.
    const tailGroups = tail === '' ? [] : tail.split(':');
    const tailSize = tailGroups.length + (tail.includes('.') ? 1 : 0);
    groups = [
      ...headGroups,
      ...Array(Math.max(0, 8 - headGroups.length - tailSize)).fill('0'),
      ...tailGroups,
    ];
  }
  const network = groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16));
  return `${network.join(':')}::/64`;
}

/** The connection's peer as @hono/node-server hands it over; undefined for an in-process request. */
function peerOf(c: Context): string | undefined {
  const remote = (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket.remoteAddress;
  return remote === undefined ? undefined : normalizedAddress(remote);
}

/**
 * The client's address: the peer, unless the peer is a trusted proxy. Then X-Forwarded-For is walked from
 * the right (each proxy appends the address it saw) past the trusted proxies: the first address that is
 * not one of them is the client. What a client writes into the header itself sits left of that, so a
 * spoofed header never moves it. A hop that is not an address stops the walk at the last trusted one.
 * @example const clientAddress = createClientAddress(['10.0.0.0/8']); clientAddress(c) // '203.0.113.7'
 */
export function createClientAddress(trustedProxies: string[]): (c: Context) => string | undefined {
  const trusted = trustedProxies.length > 0 ? addressSet(trustedProxies) : undefined;
  return function clientAddress(c) {
    const peer = peerOf(c);
    if (trusted === undefined || peer === undefined || !inSet(trusted, peer)) return peer;
    const forwarded = c.req.header('x-forwarded-for');
    if (!forwarded) return peer;
    let client = peer;
    let end = forwarded.length;
    while (end > 0) {
      const start = forwarded.lastIndexOf(',', end - 1) + 1;
      const hop = normalizedAddress(forwarded.slice(start, end).trim());
      if (hop === undefined) return client;
      client = hop;
      if (!inSet(trusted, hop)) return hop;
      end = start - 1;
    }
    return client;
  };
}

/** What a per-IP limit counts under: the address, an IPv6 address's /64, or `unknownAddress`. */
export function limitKeyOf(address: string | undefined): string {
  if (address === undefined) return unknownAddress;
  return address.includes(':') ? ipv6Network64(address) : address;
}

/** What the per-IP rate limit leaves on the request's context: the client's address, as resolved above. */
export type ClientAddressVariables = { clientAddress?: string };

/**
 * What the request's client counts as wherever a client is counted by address (the per-IP limit, the
 * waiting room's abuse flags): its key by `limitKeyOf`, so a proxy's clients are told apart and an IPv6
 * client can't step out of its flags within its /64. The rate limiter resolves it once per request;
 * a route it does not limit (the webhook, the probes) has none, and counts as `unknownAddress`.
 */
export function clientAddress(c: Context): string {
  return limitKeyOf((c.var as ClientAddressVariables).clientAddress);
}
