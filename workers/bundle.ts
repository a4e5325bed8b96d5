// Owns what the workflow bundle is made of: the workflows' entry and the interceptor modules bundled with
// them. The worker that bundles at start, the tests' prebuilt bundle and so the replay test all build from
// these, so the histories replay against the code production runs, tracing interceptors included.
import { fileURLToPath } from 'node:url';

/** Every workflow type the worker registers. */
export const workflowsEntry = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * Workflow interceptors, always in the bundle whether or not a process traces: they act only on what
 * carries a trace, so turning tracing on or off never changes the workflow code that replays.
 */
export const workflowInterceptorModules = [
  fileURLToPath(new URL('../workflows/tracing.ts', import.meta.url)),
];
