// Owns the seat map's Lua scripts: read once from the .lua files beside this module, each behind
// shared.lua, and run by SHA with the full text as fallback when Redis has not cached it (a restart,
// SCRIPT FLUSH, another server).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from '../../platform/redis';

export interface Script {
  lua: string;
  sha: string;
}

const shared = readFileSync(new URL('./shared.lua', import.meta.url), 'utf8');

function script(body: string): Script {
  const lua = `${shared}\n${body}`;
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

export const scripts = {
  apply: script(readFileSync(new URL('./apply.lua', import.meta.url), 'utf8')),
  fill: script(readFileSync(new URL('./fill.lua', import.meta.url), 'utf8')),
};

export async function runScript(
  redis: Redis,
  { lua, sha }: Script,
  keyList: string[],
  args: (string | number)[],
): Promise<void> {
  try {
    await redis.evalsha(sha, keyList.length, ...keyList, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    await redis.eval(lua, keyList.length, ...keyList, ...args);
  }
}
