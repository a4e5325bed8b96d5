// Owns the benchmark worker's workflow bundle entry: every production workflow plus the probe.
export * from '../../workflows/index';
export { probeWorkflow } from './workflow';
