// Owns the scripts' and suites' way to a free loopback port: the one helper in src/platform/ports.ts,
// which the worker uses too.
export { freePort } from '../../src/platform/ports';
