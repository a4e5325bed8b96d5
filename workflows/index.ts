// Owns the workflow bundle's entry point: every workflow type the worker registers.
export { probeWorkflow } from './probe';
export { reservationWorkflow } from './reservation';
