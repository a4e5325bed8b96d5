// Owns the workflow bundle's entry point: every workflow type the worker registers.
export { latePaymentWorkflow } from './late-payment/workflow';
export { onsaleWorkflow } from './onsale/workflow';
export { refundWorkflow } from './refund/workflow';
export { reservationWorkflow } from './reservation/workflow';
