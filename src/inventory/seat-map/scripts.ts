// Owns the seat map's Lua scripts: read once from the .lua files beside this module, each behind
// shared.lua, and run through src/platform/redis-script.ts (by SHA, the text only when Redis lacks it).
import { readFileSync } from 'node:fs';
import { type RedisScript, redisScript } from '../../platform/redis-script';

const shared = readFileSync(new URL('./shared.lua', import.meta.url), 'utf8');

const script = (file: string): RedisScript =>
  redisScript(`${shared}\n${readFileSync(new URL(file, import.meta.url), 'utf8')}`);

export const scripts = {
  apply: script('./apply.lua'),
  fill: script('./fill.lua'),
};
