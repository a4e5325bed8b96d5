// Owns running a Lua script in Redis: by SHA, with the full text as fallback when Redis has not cached it
// (a restart, SCRIPT FLUSH, another server), so each call sends the script's text at most once.
import { createHash } from 'node:crypto';
import type { Redis } from './redis';

export interface RedisScript {
  lua: string;
  sha: string;
}

export function redisScript(lua: string): RedisScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

export async function evalScript<T>(
  redis: Redis,
  { lua, sha }: RedisScript,
  keys: string[],
  args: (string | number)[],
): Promise<T> {
  try {
    return (await redis.evalsha(sha, keys.length, ...keys, ...args)) as T;
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return (await redis.eval(lua, keys.length, ...keys, ...args)) as T;
  }
}
